-- Source: awslabs/aws-security-analytics-bootstrap, sql/dml/analytics/vpcflow/vpcflow_demo_queries.sql
-- (summary of records between two addresses, by total bytes).
-- Adapted: table vpcflow -> vpc_flow_logs.flow_logs; its column names -> the AWS field names flowsql uses
-- (sourceaddress -> srcaddr, destinationaddress -> dstaddr, sourceport/destinationport -> srcport/dstport,
-- numbytes -> bytes, numpackets -> packets, instanceid -> instance_id, interfaceid -> interface_id,
-- starttime/endtime -> start/"end", logstatus -> log_status). Partition names are the same.
SELECT region, instance_id, srcaddr, dstaddr, sum(bytes) as byte_count FROM vpc_flow_logs.flow_logs
WHERE (srcaddr = '192.0.2.1' OR dstaddr = '192.0.2.1')
AND (srcaddr = '203.0.113.2' OR dstaddr = '203.0.113.2')
AND date_partition >= '2020/07/01'
AND date_partition <= '2020/07/31'
AND account_partition = '111122223333'
AND region_partition in ('us-east-1','us-east-2','us-west-2', 'us-west-2')
GROUP BY region, instance_id, srcaddr, dstaddr
ORDER BY byte_count DESC
