-- Source: VPC console "Athena integration" named query VpcFlowLogsTotalBytesTransferred, as re-created in a
-- public Terraform module (aws_athena_named_query resources). Adapted: table name only.
SELECT SUM(bytes) as totalbytes, srcaddr, dstaddr from vpc_flow_logs.flow_logs
GROUP BY srcaddr, dstaddr
ORDER BY totalbytes
LIMIT 50
