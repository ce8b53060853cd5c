-- Source: VPC console "Athena integration" named query VpcFlowLogsAdminPortTraffic (same Terraform
-- re-creation). Adapted: table name only (both reads).
SELECT ip, sum(bytes) as total_bytes
FROM (
  SELECT dstaddr as ip,sum(bytes) as bytes
  FROM vpc_flow_logs.flow_logs
  GROUP BY 1
  UNION ALL
  SELECT srcaddr as ip,sum(bytes) as bytes
  FROM vpc_flow_logs.flow_logs
  GROUP BY 1
)
GROUP BY ip
ORDER BY total_bytes
DESC LIMIT 10
