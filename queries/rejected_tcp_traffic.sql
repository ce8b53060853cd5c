-- name: rejected_tcp_traffic
-- title: Rejected TCP traffic by source, destination and port
-- description: |
--   Rejected TCP flow records, one row per source, destination and destination port, most
--   attempts first: connection attempts that security groups or network ACLs refused.
-- category: security
-- fields: [srcaddr, dstaddr, dstport, protocol, packets, bytes, start, end, action, log_status]
-- params:
--   limit: {type: int, default: 100, min: 1, max: 10000, help: how many rows to return}
-- columns: [srcaddr, dstaddr, dstport, service, attempts, packets, bytes, first_seen, last_seen]
SELECT
  srcaddr,
  dstaddr,
  dstport,
  {{ port_service("dstport") }} AS service,
  count(*) AS attempts,
  sum(packets) AS packets,
  sum(bytes) AS bytes,
  from_unixtime(min(start)) AS first_seen,
  from_unixtime(max("end")) AS last_seen
FROM {{ table }}
WHERE {{ in_window() }}
  AND log_status = 'OK'
  AND action = 'REJECT'
  AND protocol = 6
GROUP BY srcaddr, dstaddr, dstport
ORDER BY attempts DESC, bytes DESC, srcaddr, dstaddr, dstport
LIMIT {{ limit }}
