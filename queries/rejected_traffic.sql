-- name: rejected_traffic
-- title: All rejected traffic by source, destination and port
-- description: |
--   Every flow record a security group or network ACL rejected, one row per source, destination,
--   destination port and protocol, most attempts first. Internet noise dominates on public
--   interfaces; rejected traffic between your own private addresses is usually a misconfiguration
--   worth fixing (see connectivity_check).
-- category: security
-- fields: [srcaddr, dstaddr, dstport, protocol, packets, bytes, start, end, action, log_status]
-- params:
--   limit: {type: int, default: 100, min: 1, max: 10000, help: how many rows to return}
-- columns: [srcaddr, dstaddr, dstport, protocol, attempts, packets, bytes, first_seen, last_seen]
WITH flows AS (
  SELECT srcaddr, dstaddr, dstport, protocol AS protocol_number, packets, bytes, start, "end"
  FROM {{ table }}
  WHERE {{ in_window() }}
    AND log_status = 'OK'
    AND action = 'REJECT'
)
SELECT
  srcaddr,
  dstaddr,
  dstport,
  {{ protocol_name("protocol_number") }} AS protocol,
  count(*) AS attempts,
  sum(packets) AS packets,
  sum(bytes) AS bytes,
  from_unixtime(min(start)) AS first_seen,
  from_unixtime(max("end")) AS last_seen
FROM flows
GROUP BY srcaddr, dstaddr, dstport, protocol_number
ORDER BY attempts DESC, bytes DESC, srcaddr, dstaddr, dstport, protocol_number
LIMIT {{ limit }}
