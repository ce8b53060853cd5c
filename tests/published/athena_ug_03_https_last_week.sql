-- Source: Athena User Guide, "Querying Amazon VPC flow logs", top HTTPS receivers of the last week.
-- Adapted: table name; `date > current_date - interval '7' day` on the DATE partition becomes the same
-- bound on the string partition: date_partition > date_format(current_date - interval '7' day, '%Y/%m/%d').
SELECT SUM(packets) AS packetcount,
  dstaddr
FROM vpc_flow_logs.flow_logs
WHERE dstport = 443 AND date_partition > date_format(current_date - interval '7' day, '%Y/%m/%d')
GROUP BY dstaddr
ORDER BY packetcount DESC
LIMIT 10
