-- Source: Athena User Guide, "Querying Amazon VPC flow logs", rejected TCP connections with day_of_week.
-- Adapted: table name; the DATE partition `date` is flowsql's string date_partition, so
-- day_of_week(date) reads day_of_week(date_parse(date_partition, '%Y/%m/%d')) and `date` is date_partition.
SELECT day_of_week(date_parse(date_partition, '%Y/%m/%d')) AS day,
  date_partition,
  interface_id,
  srcaddr,
  action,
  protocol
FROM vpc_flow_logs.flow_logs
WHERE action = 'REJECT' AND protocol = 6
LIMIT 100
