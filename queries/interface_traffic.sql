-- name: interface_traffic
-- title: Traffic recorded on one network interface
-- description: |
--   Everything one network interface (eni-…) recorded, per source, destination, destination port,
--   protocol and action, most bytes first. Start here when an instance, load balancer node, NAT
--   gateway or Lambda interface behaves oddly.
-- category: troubleshooting
-- fields: [interface_id, srcaddr, dstaddr, dstport, protocol, packets, bytes, start, end, action, log_status]
-- params:
--   eni: {type: eni, help: "the interface id (eni-…)"}
--   limit: {type: int, default: 100, min: 1, max: 10000, help: how many rows to return}
-- columns: [srcaddr, dstaddr, dstport, protocol, action, flows, packets, bytes, first_seen, last_seen]
WITH flows AS (
  SELECT srcaddr, dstaddr, dstport, protocol AS protocol_number, action, packets, bytes, start, "end"
  FROM {{ table }}
  WHERE {{ in_window() }}
    AND log_status = 'OK'
    AND interface_id = {{ eni }}
)
SELECT
  srcaddr,
  dstaddr,
  dstport,
  {{ protocol_name("protocol_number") }} AS protocol,
  action,
  count(*) AS flows,
  sum(packets) AS packets,
  sum(bytes) AS bytes,
  from_unixtime(min(start)) AS first_seen,
  from_unixtime(max("end")) AS last_seen
FROM flows
GROUP BY srcaddr, dstaddr, dstport, protocol_number, action
ORDER BY bytes DESC, flows DESC, srcaddr, dstaddr, dstport, protocol_number, action
LIMIT {{ limit }}
