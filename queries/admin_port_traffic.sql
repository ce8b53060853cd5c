-- name: admin_port_traffic
-- title: Traffic to administration ports, accepted and rejected
-- description: |
--   All TCP traffic to remote-administration ports (SSH, Telnet, RDP, VNC, WinRM by default), one
--   row per source, destination, port and action. Accepted rows are who actually administers what;
--   check every source is a bastion, VPN or admin network you know.
-- category: security
-- fields: [srcaddr, dstaddr, dstport, protocol, packets, bytes, start, end, action, log_status]
-- params:
--   ports: {type: ports, default: [22, 23, 3389, 5900, 5985, 5986], help: administration ports}
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
  AND dstport IN {{ ports }}
GROUP BY srcaddr, dstaddr, dstport, action
ORDER BY flows DESC, bytes DESC, srcaddr, dstaddr, dstport, action
LIMIT {{ limit }}
