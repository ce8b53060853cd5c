-- Source: awslabs/aws-security-analytics-bootstrap, sql/dml/analytics/vpcflow/vpcflow_demo_queries.sql
-- (preview limited to a date range). Adapted: table name only.
SELECT * from vpc_flow_logs.flow_logs
WHERE date_partition >= '2020/07/01'
AND date_partition <= '2020/07/31'
LIMIT 10
