-- Source: Athena User Guide, "Querying Amazon VPC flow logs" (create-table page), first example query.
-- Adapted: table name; the DATE-typed partition `date` = DATE('2020-05-04') becomes flowsql's string
-- partition date_partition = '2020/07/15' (the day the sample data holds).
SELECT *
FROM vpc_flow_logs.flow_logs
WHERE date_partition = '2020/07/15'
LIMIT 100
