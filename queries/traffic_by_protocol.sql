-- name: traffic_by_protocol
-- title: Traffic by protocol
-- description: |
--   Flows, packets and bytes per IP protocol, with the rejected share. TCP, UDP and ICMP normally
--   carry everything; see unusual_protocols for who uses anything else.
-- category: cost/usage
-- fields: [protocol, packets, bytes, start, action, log_status]
-- params: {}
-- columns: [protocol, protocol_number, flows, packets, bytes, rejected_flows]
WITH flows AS (
  SELECT protocol AS protocol_number, action, packets, bytes
  FROM {{ table }}
  WHERE {{ in_window() }}
    AND log_status = 'OK'
)
SELECT
  {{ protocol_name("protocol_number") }} AS protocol,
  protocol_number,
  count(*) AS flows,
  sum(packets) AS packets,
  sum(bytes) AS bytes,
  count_if(action = 'REJECT') AS rejected_flows
FROM flows
GROUP BY protocol_number
ORDER BY bytes DESC, protocol_number
