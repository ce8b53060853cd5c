-- Source: named query VpcFlowLogsTopRejects of the same Terraform re-creation of the console's Athena
-- integration (rejected traffic by address pair). Adapted: table name only.
SELECT srcaddr, dstaddr,  count(*) count, "action"
FROM vpc_flow_logs.flow_logs
WHERE "action" = 'REJECT'
GROUP BY srcaddr, dstaddr, "action"
ORDER BY count desc
LIMIT 25
