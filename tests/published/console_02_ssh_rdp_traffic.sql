-- Source: VPC console "Athena integration" named query VpcFlowLogsSshRdpTraffic (same Terraform
-- re-creation). Adapted: table name only.
SELECT *
FROM vpc_flow_logs.flow_logs
WHERE srcport in (22,3389) OR dstport IN (22, 3389)
ORDER BY "start" ASC
limit 50
