-- Source: awslabs/aws-security-analytics-bootstrap, sql/dml/analytics/vpcflow/vpcflow_demo_queries.sql
-- (traffic between an RFC 1918 and a public address, with IPADDRESS comparisons).
-- Adapted: table vpcflow -> vpc_flow_logs.flow_logs; its column names -> the AWS field names flowsql uses
-- (sourceaddress -> srcaddr, destinationaddress -> dstaddr, sourceport/destinationport -> srcport/dstport,
-- numbytes -> bytes, numpackets -> packets, instanceid -> instance_id, interfaceid -> interface_id,
-- starttime/endtime -> start/"end", logstatus -> log_status). Partition names are the same.
SELECT *
FROM vpc_flow_logs.flow_logs
WHERE log_status = 'OK' -- filters out '-' in the address fields
AND (    (
         NOT ( (CAST(srcaddr AS IPADDRESS) > IPADDRESS '10.0.0.0'
         AND CAST(srcaddr AS IPADDRESS) < IPADDRESS '10.255.255.255')
         OR (CAST(srcaddr AS IPADDRESS) > IPADDRESS '172.16.0.0'
         AND CAST(srcaddr AS IPADDRESS) < IPADDRESS '172.31.255.255')
         OR (CAST(srcaddr AS IPADDRESS) > IPADDRESS '192.168.0.0'
         AND CAST(srcaddr AS IPADDRESS) < IPADDRESS '192.168.255.255'))
         AND ( (CAST(dstaddr AS IPADDRESS) > IPADDRESS '10.0.0.0'
         AND CAST(dstaddr AS IPADDRESS) < IPADDRESS '10.255.255.255')
         OR (CAST(dstaddr AS IPADDRESS) > IPADDRESS '172.16.0.0'
         AND CAST(dstaddr AS IPADDRESS) < IPADDRESS '172.31.255.255')
         OR (CAST(dstaddr AS IPADDRESS) > IPADDRESS '192.168.0.0'
         AND CAST(dstaddr AS IPADDRESS) < IPADDRESS '192.168.255.255'))
         )
      OR (
         NOT ( (CAST(dstaddr AS IPADDRESS) > IPADDRESS '10.0.0.0'
         AND CAST(dstaddr AS IPADDRESS) < IPADDRESS '10.255.255.255')
         OR (CAST(dstaddr AS IPADDRESS) > IPADDRESS '172.16.0.0'
         AND CAST(dstaddr AS IPADDRESS) < IPADDRESS '172.31.255.255')
         OR (CAST(dstaddr AS IPADDRESS) > IPADDRESS '192.168.0.0'
         AND CAST(dstaddr AS IPADDRESS) < IPADDRESS '192.168.255.255'))
         AND ( (CAST(srcaddr AS IPADDRESS) > IPADDRESS '10.0.0.0'
         AND CAST(srcaddr AS IPADDRESS) < IPADDRESS '10.255.255.255')
         OR (CAST(srcaddr AS IPADDRESS) > IPADDRESS '172.16.0.0'
         AND CAST(srcaddr AS IPADDRESS) < IPADDRESS '172.31.255.255')
         OR (CAST(srcaddr AS IPADDRESS) > IPADDRESS '192.168.0.0'
         AND CAST(srcaddr AS IPADDRESS) < IPADDRESS '192.168.255.255'))
         )
     )
AND date_partition >= '2020/07/01'
AND date_partition <= '2020/07/31'
AND account_partition = '111122223333'
AND region_partition in ('us-east-1','us-east-2','us-west-2', 'us-west-2')
