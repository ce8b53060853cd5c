-- Source: awslabs/aws-security-analytics-bootstrap, sql/dml/analytics/vpcflow/vpcflow_demo_queries.sql
-- ("preview first 10 rows"). Adapted: table name only.
SELECT * from vpc_flow_logs.flow_logs
LIMIT 10
