-- Source: Athena User Guide, partition projection page, example 4 (records of one source address).
-- Adapted: table name; partition `day` is date_partition; the period moved to July 2020.
SELECT *
FROM vpc_flow_logs.flow_logs
WHERE srcaddr = '10.117.1.22'
  AND date_partition >= '2020/07/01'
  AND date_partition < '2020/07/31'
