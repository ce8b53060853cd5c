-- Source: awslabs/aws-security-analytics-bootstrap, sql/dml/analytics/vpcflow/vpcflow_demo_queries.sql
-- (preview limited to several Regions). Adapted: table name only.
SELECT * from vpc_flow_logs.flow_logs
WHERE region_partition in ('us-east-1','us-east-2','us-west-2')
LIMIT 10
