-- Source: awslabs/aws-security-analytics-bootstrap, sql/dml/analytics/vpcflow/vpcflow_demo_queries.sql
-- (all records between two addresses with flow_direction; no partition predicate in the original).
-- Adapted: table vpcflow -> vpc_flow_logs.flow_logs; its column names -> the AWS field names flowsql uses
-- (sourceaddress -> srcaddr, destinationaddress -> dstaddr, sourceport/destinationport -> srcport/dstport,
-- numbytes -> bytes, numpackets -> packets, instanceid -> instance_id, interfaceid -> interface_id,
-- starttime/endtime -> start/"end", logstatus -> log_status). Partition names are the same.
SELECT from_unixtime(start) AS start_time,
from_unixtime("end") AS end_time,
interface_id,
srcaddr,
dstaddr,
srcport,
dstport,
packets,
bytes,
flow_direction,
action
FROM vpc_flow_logs.flow_logs
WHERE (srcaddr = '192.0.2.1'
AND dstaddr = '192.0.2.254')
OR (srcaddr = '192.0.2.254'
AND dstaddr = '192.0.2.1')
ORDER BY start ASC
