-- name: unusual_protocols
-- title: Traffic over protocols other than TCP, UDP and ICMP
-- description: |
--   Flows whose IP protocol is not TCP (6), UDP (17), ICMP (1) or ICMPv6 (58), by protocol, source,
--   destination and action. GRE and ESP are tunnels and VPNs; anything else is rare in a VPC and
--   worth explaining.
-- category: security
-- fields: [srcaddr, dstaddr, protocol, packets, bytes, start, end, action, log_status]
-- params:
--   limit: {type: int, default: 100, min: 1, max: 10000, help: how many rows to return}
-- columns: [protocol, protocol_number, srcaddr, dstaddr, action, flows, packets, bytes, first_seen, last_seen]
WITH flows AS (
  SELECT protocol AS protocol_number, srcaddr, dstaddr, action, packets, bytes, start, "end"
  FROM {{ table }}
  WHERE {{ in_window() }}
    AND log_status = 'OK'
    AND protocol NOT IN (1, 6, 17, 58)
)
SELECT
  {{ protocol_name("protocol_number") }} AS protocol,
  protocol_number,
  srcaddr,
  dstaddr,
  action,
  count(*) AS flows,
  sum(packets) AS packets,
  sum(bytes) AS bytes,
  from_unixtime(min(start)) AS first_seen,
  from_unixtime(max("end")) AS last_seen
FROM flows
GROUP BY protocol_number, srcaddr, dstaddr, action
ORDER BY flows DESC, bytes DESC, protocol_number, srcaddr, dstaddr, action
LIMIT {{ limit }}
