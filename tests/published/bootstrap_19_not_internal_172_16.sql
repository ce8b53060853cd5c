-- Source: awslabs/aws-security-analytics-bootstrap, sql/dml/analytics/vpcflow/vpcflow_demo_queries.sql
-- (Athena v3: every record except internal-to-internal ones within 172.16.0.0/12).
-- Adapted: table vpcflow -> vpc_flow_logs.flow_logs; its column names -> the AWS field names flowsql uses
-- (sourceaddress -> srcaddr, destinationaddress -> dstaddr, sourceport/destinationport -> srcport/dstport,
-- numbytes -> bytes, numpackets -> packets, instanceid -> instance_id, interfaceid -> interface_id,
-- starttime/endtime -> start/"end", logstatus -> log_status). Partition names are the same.
SELECT * FROM vpc_flow_logs.flow_logs
WHERE log_status = 'OK' -- filters out '-' in the address fields
AND NOT (
    contains('172.16.0.0/12', cast(srcaddr as IPADDRESS))
    AND contains('172.16.0.0/12', cast(dstaddr as IPADDRESS))
)
AND date_partition >= '2020/07/01'
AND date_partition <= '2020/07/31'
AND account_partition = '111122223333'
AND region_partition in ('us-east-1','us-east-2','us-west-2', 'us-west-2')
