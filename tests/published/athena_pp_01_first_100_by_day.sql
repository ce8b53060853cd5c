-- Source: Athena User Guide, "Create and query a table for Amazon VPC flow logs using partition
-- projection", example 1 (first 100 records of a period, ordered by day).
-- Adapted: table name; partition `day` is date_partition; the period moved to the sample data's July 2020.
SELECT *
FROM vpc_flow_logs.flow_logs
WHERE date_partition >= '2020/07/01' AND date_partition < '2020/07/28'
ORDER BY date_partition ASC
LIMIT 100
