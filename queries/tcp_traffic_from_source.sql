-- name: tcp_traffic_from_source
-- title: TCP traffic of one source, by destination and port
-- description: |
--   The TCP connections one address opened, one row per destination, destination port and action,
--   most bytes first: what a host talks to, and what it is refused.
-- category: troubleshooting
-- fields: [srcaddr, dstaddr, dstport, protocol, packets, bytes, start, end, action, log_status]
-- params:
--   ip: {type: ip, help: the source address}
--   limit: {type: int, default: 100, min: 1, max: 10000, help: how many rows to return}
-- columns: [dstaddr, dstport, service, action, flows, packets, bytes, first_seen, last_seen]
SELECT
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
  AND srcaddr = {{ ip }}
GROUP BY dstaddr, dstport, action
ORDER BY bytes DESC, flows DESC, dstaddr, dstport, action
LIMIT {{ limit }}
