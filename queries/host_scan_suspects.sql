-- name: host_scan_suspects
-- title: Sources touching many hosts on one port (host sweeps)
-- description: |
--   Sources that sent TCP or UDP traffic to at least min_hosts distinct destination addresses on the
--   same destination port, most hosts first: a horizontal scan sweeping a network for one service
--   (SSH, RDP, SMB…). rejected counts the flow records rejected by security groups or network ACLs.
--   Legitimate fan-out (monitoring, DNS, NTP, service discovery) shows mostly accepted flows.
-- category: security
-- fields: [srcaddr, dstaddr, dstport, protocol, bytes, start, end, action, log_status]
-- params:
--   min_hosts: {type: int, default: 20, min: 1, max: 100000000, help: report sources touching at least this many hosts on a port}
--   limit: {type: int, default: 20, min: 1, max: 10000, help: how many rows to return}
-- columns: [srcaddr, dstport, service, hosts, flows, rejected, bytes, first_seen, last_seen]
SELECT
  srcaddr,
  dstport,
  {{ port_service("dstport") }} AS service,
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
GROUP BY srcaddr, dstport
HAVING count(DISTINCT dstaddr) >= {{ min_hosts }}
ORDER BY hosts DESC, flows DESC, srcaddr, dstport
LIMIT {{ limit }}
