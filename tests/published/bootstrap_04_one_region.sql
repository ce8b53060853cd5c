-- Source: awslabs/aws-security-analytics-bootstrap, sql/dml/analytics/vpcflow/vpcflow_demo_queries.sql
-- (preview limited to one Region). Adapted: table name only.
SELECT * from vpc_flow_logs.flow_logs
WHERE region_partition = 'us-east-1'
LIMIT 10
