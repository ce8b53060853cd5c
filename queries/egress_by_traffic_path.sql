-- name: egress_by_traffic_path
-- title: Egress traffic by path (internet gateway, peering, endpoints…)
-- description: |
--   Outbound (egress) traffic per traffic path: same VPC, internet gateway, virtual private gateway,
--   intra- or inter-region peering, local gateway, gateway endpoint. Bytes over the internet
--   gateway and inter-region peering cost money; traffic to S3 or DynamoDB over the internet
--   gateway instead of a gateway endpoint is a saving waiting to be made. Records without a path
--   (the field is only set for egress) show as unknown.
-- category: cost/usage
-- fields: [dstaddr, packets, bytes, start, flow_direction, traffic_path, log_status]
-- params: {}
-- columns: [traffic_path, path, flows, packets, bytes, destinations]
WITH flows AS (
  SELECT traffic_path, dstaddr, packets, bytes
  FROM {{ table }}
  WHERE {{ in_window() }}
    AND log_status = 'OK'
    AND flow_direction = 'egress'
)
SELECT
  traffic_path,
  coalesce({{ traffic_path_name("traffic_path") }}, 'unknown') AS path,
  count(*) AS flows,
  sum(packets) AS packets,
  sum(bytes) AS bytes,
  count(DISTINCT dstaddr) AS destinations
FROM flows
GROUP BY traffic_path
ORDER BY bytes DESC, traffic_path
