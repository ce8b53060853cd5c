-- Source: awslabs/aws-security-analytics-bootstrap, sql/dml/analytics/vpcflow/vpcflow_demo_queries.sql
-- (preview limited to several accounts). Adapted: table name only.
SELECT * from vpc_flow_logs.flow_logs
WHERE account_partition in ('111122223333','444455556666','123456789012')
LIMIT 10
