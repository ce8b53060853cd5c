-- name: accepted_traffic
-- title: Accepted traffic by source, destination and port
-- description: |
--   What security groups and network ACLs let through, one row per source, destination,
--   destination port and protocol, most bytes first. The everyday baseline: compare it with
--   rejected_traffic, and look for peers or ports you did not expect.
-- category: cost/usage
-- fields: [srcaddr, dstaddr, dstport, protocol, packets, bytes, start, action, log_status]
-- params:
--   limit: {type: int, default: 100, min: 1, max: 10000, help: how many rows to return}
-- columns: [srcaddr, dstaddr, dstport, protocol, flows, packets, bytes]
WITH flows AS (
  SELECT srcaddr, dstaddr, dstport, protocol AS protocol_number, packets, bytes
  FROM {{ table }}
  WHERE {{ in_window() }}
    AND log_status = 'OK'
    AND action = 'ACCEPT'
)
SELECT
  srcaddr,
  dstaddr,
  dstport,
  {{ protocol_name("protocol_number") }} AS protocol,
  count(*) AS flows,
  sum(packets) AS packets,
  sum(bytes) AS bytes
FROM flows
GROUP BY srcaddr, dstaddr, dstport, protocol_number
ORDER BY bytes DESC, flows DESC, srcaddr, dstaddr, dstport, protocol_number
LIMIT {{ limit }}
