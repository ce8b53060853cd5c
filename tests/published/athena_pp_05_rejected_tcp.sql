-- Source: Athena User Guide, partition projection page, example 5 (rejected TCP connections).
-- Adapted: table name; partition `day` is date_partition (selected as date_partition); period July 2020.
SELECT date_partition,
       interface_id,
       srcaddr,
       action,
       protocol
FROM vpc_flow_logs.flow_logs
WHERE action = 'REJECT' AND protocol = 6 AND date_partition >= '2020/07/01' AND date_partition < '2020/07/31'
LIMIT 10
