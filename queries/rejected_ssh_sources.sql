-- name: rejected_ssh_sources
-- title: Top sources of rejected SSH
-- description: |
--   Sources whose TCP connections to the SSH port were rejected by a security group or network
--   ACL, most attempts first: brute-force and scanning sources rise to the top. attempts counts
--   flow records (one per connection 5-tuple and aggregation interval), targets the distinct
--   destination addresses tried; first_seen/last_seen are the first and last packet times (UTC).
-- category: security
-- fields: [srcaddr, dstaddr, dstport, protocol, packets, bytes, start, end, action, log_status]
-- params:
--   port: {type: port, default: 22, help: the port SSH listens on}
--   limit: {type: int, default: 20, min: 1, max: 10000, help: how many sources to return}
-- columns: [srcaddr, attempts, packets, bytes, targets, first_seen, last_seen]
SELECT
  srcaddr,
  count(*) AS attempts,
  sum(packets) AS packets,
  sum(bytes) AS bytes,
  count(DISTINCT dstaddr) AS targets,
  from_unixtime(min(start)) AS first_seen,
  from_unixtime(max("end")) AS last_seen
FROM {{ table }}
WHERE {{ in_window() }}
  AND log_status = 'OK'
  AND action = 'REJECT'
  AND protocol = 6
  AND dstport = {{ port }}
GROUP BY srcaddr
ORDER BY attempts DESC, bytes DESC, srcaddr
LIMIT {{ limit }}
