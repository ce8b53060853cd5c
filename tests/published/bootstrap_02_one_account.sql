-- Source: awslabs/aws-security-analytics-bootstrap, sql/dml/analytics/vpcflow/vpcflow_demo_queries.sql
-- (preview limited to one account). Adapted: table name only.
SELECT * from vpc_flow_logs.flow_logs
WHERE account_partition = '111122223333'
LIMIT 10
