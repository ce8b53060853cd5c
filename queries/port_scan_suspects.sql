-- name: port_scan_suspects
-- title: Sources touching many destination ports (port scans)
-- description: |
--   Sources that sent TCP or UDP traffic to at least min_ports distinct destination ports in the
--   window, most ports first. ports is the number of distinct destination ports, hosts the distinct
--   destination addresses, rejected the flow records rejected by security groups or network ACLs. A
--   high port count on few hosts with mostly rejected flows is a vertical port scan. Busy servers
--   answering clients also touch many (ephemeral) ports: check their flows are accepted replies.
-- category: security
-- fields: [srcaddr, dstaddr, dstport, protocol, bytes, start, end, action, log_status]
-- params:
--   min_ports: {type: int, default: 20, min: 1, max: 65536, help: report sources touching at least this many ports}
--   limit: {type: int, default: 20, min: 1, max: 10000, help: how many sources to return}
-- columns: [srcaddr, ports, hosts, flows, rejected, bytes, first_seen, last_seen]
SELECT
  srcaddr,
  count(DISTINCT dstport) AS ports,
  count(DISTINCT dstaddr) AS hosts,
  count(*) AS flows,
  count_if(action = 'REJECT') AS rejected,
  sum(bytes) AS bytes,
  from_unixtime(min(start)) AS first_seen,
  from_unixtime(max("end")) AS last_seen
FROM {{ table }}
WHERE {{ in_window() }}
  AND log_status = 'OK'
  AND protocol IN (6, 17)
GROUP BY srcaddr
HAVING count(DISTINCT dstport) >= {{ min_ports }}
ORDER BY ports DESC, flows DESC, srcaddr
LIMIT {{ limit }}
