-- Source: awslabs/aws-security-analytics-bootstrap, sql/dml/analytics/vpcflow/vpcflow_demo_queries.sql
-- (first/last seen per source with arrays of destinations, instances, ports; the arrays have no alias).
-- Adapted: table vpcflow -> vpc_flow_logs.flow_logs; its column names -> the AWS field names flowsql uses
-- (sourceaddress -> srcaddr, destinationaddress -> dstaddr, sourceport/destinationport -> srcport/dstport,
-- numbytes -> bytes, numpackets -> packets, instanceid -> instance_id, interfaceid -> interface_id,
-- starttime/endtime -> start/"end", logstatus -> log_status). Partition names are the same.
SELECT srcaddr,
         min(start) AS first_seen,
         max("end") AS last_seen,
         array_agg(DISTINCT(dstaddr)),
         array_agg(DISTINCT(instance_id)),
         array_agg(DISTINCT(dstport))
FROM vpc_flow_logs.flow_logs
WHERE dstport < 32768 -- skip ephemeral ports
AND date_partition >= '2020/07/01'
AND date_partition <= '2020/07/31'
AND account_partition = '111122223333'
AND region_partition in ('us-east-1','us-east-2','us-west-2', 'us-west-2')
GROUP BY srcaddr
ORDER by first_seen ASC
