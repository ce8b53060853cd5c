-- name: ssh_rdp_traffic
-- title: SSH and RDP sessions by source and destination
-- description: |
--   TCP traffic to SSH (22) and RDP (3389), accepted and rejected, one row per source, destination,
--   port and action, most bytes first. Large accepted byte counts are interactive sessions or file
--   copies; many small rejected rows are brute-force noise (see rejected_ssh_sources).
-- category: security
-- fields: [srcaddr, dstaddr, dstport, protocol, packets, bytes, start, end, action, log_status]
-- params:
--   limit: {type: int, default: 100, min: 1, max: 10000, help: how many rows to return}
-- columns: [srcaddr, dstaddr, dstport, service, action, flows, packets, bytes, first_seen, last_seen]
SELECT
  srcaddr,
  dstaddr,
  dstport,
  {{ port_service("dstport") }} AS service,
  action,
  count(*) AS flows,
  sum(packets) AS packets,
  sum(bytes) AS bytes,
  from_unixtime(min(start)) AS first_seen,
  from_unixtime(max("end")) AS last_seen
FROM {{ table }}
WHERE {{ in_window() }}
  AND log_status = 'OK'
  AND protocol = 6
  AND dstport IN (22, 3389)
GROUP BY srcaddr, dstaddr, dstport, action
ORDER BY bytes DESC, flows DESC, srcaddr, dstaddr, dstport, action
LIMIT {{ limit }}
