-- Source: Athena User Guide, partition projection page, example 7 (records to one destination address).
-- Adapted: table name; partition `day` is date_partition; the period moved to July 2020.
SELECT *
FROM vpc_flow_logs.flow_logs
WHERE dstaddr = '10.0.1.14'
  AND date_partition >= '2020/07/01'
  AND date_partition < '2020/07/31'
