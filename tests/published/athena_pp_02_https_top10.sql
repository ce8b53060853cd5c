-- Source: Athena User Guide, partition projection page, example 2 (top 10 HTTPS destinations by packets).
-- Adapted: table name; partition `day` is date_partition; the period moved to July 2020.
SELECT SUM(packets) AS packetcount,
       dstaddr
FROM vpc_flow_logs.flow_logs
WHERE dstport = 443
  AND date_partition >= '2020/07/01'
  AND date_partition < '2020/07/31'
GROUP BY dstaddr
ORDER BY packetcount DESC
LIMIT 10
