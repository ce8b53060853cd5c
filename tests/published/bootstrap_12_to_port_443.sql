-- Source: awslabs/aws-security-analytics-bootstrap, sql/dml/analytics/vpcflow/vpcflow_demo_queries.sql
-- (bytes sent to port 443, one instance).
-- Adapted: table vpcflow -> vpc_flow_logs.flow_logs; its column names -> the AWS field names flowsql uses
-- (sourceaddress -> srcaddr, destinationaddress -> dstaddr, sourceport/destinationport -> srcport/dstport,
-- numbytes -> bytes, numpackets -> packets, instanceid -> instance_id, interfaceid -> interface_id,
-- starttime/endtime -> start/"end", logstatus -> log_status). Partition names are the same.
SELECT region, instance_id, srcaddr, dstaddr, dstport, sum(bytes) as byte_count FROM vpc_flow_logs.flow_logs
WHERE instance_id = 'i-000000000000000'
AND dstport = 443
AND date_partition >= '2020/07/01'
AND date_partition <= '2020/07/31'
AND account_partition = '111122223333'
AND region_partition in ('us-east-1','us-east-2','us-west-2', 'us-west-2')
GROUP BY region, instance_id, srcaddr, dstaddr, dstport
ORDER BY byte_count DESC
