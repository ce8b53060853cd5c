-- Source: awslabs/aws-security-analytics-bootstrap, sql/dml/analytics/vpcflow/vpcflow_demo_queries.sql
-- (daily transfer report for the top 10 sources in 192.0.2.0/24). It names a column event_date that
-- the bootstrap's own table does not have, so Athena fails on it too.
-- Adapted: table vpcflow -> vpc_flow_logs.flow_logs; its column names -> the AWS field names flowsql uses
-- (sourceaddress -> srcaddr, destinationaddress -> dstaddr, sourceport/destinationport -> srcport/dstport,
-- numbytes -> bytes, numpackets -> packets, instanceid -> instance_id, interfaceid -> interface_id,
-- starttime/endtime -> start/"end", logstatus -> log_status). Partition names are the same.
SELECT flow_logs.event_date, flow_logs.srcaddr, flow_logs.dstaddr, sum(flow_logs.bytes) as byte_count
FROM vpc_flow_logs.flow_logs
INNER JOIN (SELECT srcaddr, sum(bytes) as byte_count FROM vpc_flow_logs.flow_logs
WHERE srcaddr like '192.0.2.%'
AND date_partition >= '2020/07/01'
AND date_partition <= '2020/07/31'
AND account_partition = '111122223333'
AND region_partition in ('us-east-1','us-east-2','us-west-2', 'us-west-2')
GROUP BY region, instance_id, srcaddr, dstaddr, dstport
ORDER BY byte_count DESC
LIMIT 10) as top_n
ON top_n.srcaddr = flow_logs.srcaddr
WHERE date_partition >= '2020/07/01'
AND date_partition <= '2020/07/31'
AND account_partition = '111122223333'
AND region_partition in ('us-east-1','us-east-2','us-west-2', 'us-west-2')
GROUP BY flow_logs.event_date, flow_logs.srcaddr, flow_logs.dstaddr
ORDER BY flow_logs.event_date ASC, flow_logs.srcaddr ASC, flow_logs.dstaddr ASC, byte_count DESC
