-- Source: awslabs/aws-security-analytics-bootstrap, sql/dml/analytics/vpcflow/vpcflow_demo_queries.sql
-- (preview limited by a combination of partition constraints). Adapted: table name only.
SELECT * from vpc_flow_logs.flow_logs
WHERE date_partition >= '2020/07/01'
AND date_partition <= '2020/07/31'
AND account_partition = '111122223333'
AND region_partition in ('us-east-1','us-east-2','us-west-2', 'us-west-2')
LIMIT 10
