-- Source: Athena User Guide, partition projection page, example 6 (sources in 10.117.x.x via split_part).
-- Adapted: table name only (the published statement has no partition predicate).
SELECT *
FROM vpc_flow_logs.flow_logs
WHERE split_part(srcaddr,'.', 1)='10'
  AND split_part(srcaddr,'.', 2) ='117'
