-- name: sensitive_port_rejects
-- title: Rejected traffic to sensitive ports, by source and port
-- description: |
--   Rejected TCP and UDP traffic to administration and database ports (SSH, RDP, Telnet, SMB,
--   MySQL, PostgreSQL, SQL Server, Oracle, Redis, MongoDB, Elasticsearch…), one row per source and
--   destination port, most attempts first. A source hitting several of these ports is probing; one
--   hitting a single port on many targets (see targets) is sweeping for that service.
-- category: security
-- fields: [srcaddr, dstaddr, dstport, protocol, packets, bytes, start, end, action, log_status]
-- params:
--   ports:
--     type: ports
--     default: [22, 23, 445, 1433, 1521, 2375, 3306, 3389, 5432, 5900, 6379, 9200, 11211, 27017]
--     help: destination ports to watch
--   limit: {type: int, default: 50, min: 1, max: 10000, help: how many rows to return}
-- columns: [srcaddr, dstport, service, attempts, packets, bytes, targets, first_seen, last_seen]
SELECT
  srcaddr,
  dstport,
  {{ port_service("dstport") }} AS service,
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
  AND protocol IN (6, 17)
  AND dstport IN {{ ports }}
GROUP BY srcaddr, dstport
ORDER BY attempts DESC, bytes DESC, srcaddr, dstport
LIMIT {{ limit }}
