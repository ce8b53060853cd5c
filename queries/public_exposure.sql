-- name: public_exposure
-- title: Sensitive ports reachable from the internet
-- description: |
--   Traffic accepted from public addresses (outside 10/8, 172.16/12, 192.168/16 and fc00::/7) to
--   administration and database ports, one row per destination address and port. Every row is a
--   service a security group or network ACL lets the internet reach: sources counts the distinct
--   public addresses that got through. Tighten the rule, or put the service behind a bastion or VPN.
-- category: security
-- fields: [srcaddr, dstaddr, dstport, protocol, packets, bytes, start, end, action, log_status]
-- params:
--   ports:
--     type: ports
--     default: [22, 23, 445, 1433, 1521, 2375, 3306, 3389, 5432, 5900, 6379, 9200, 11211, 27017]
--     help: destination ports that should not be reachable from the internet
--   limit: {type: int, default: 50, min: 1, max: 10000, help: how many rows to return}
-- columns: [dstaddr, dstport, service, sources, flows, packets, bytes, first_seen, last_seen]
SELECT
  dstaddr,
  dstport,
  {{ port_service("dstport") }} AS service,
  count(DISTINCT srcaddr) AS sources,
  count(*) AS flows,
  sum(packets) AS packets,
  sum(bytes) AS bytes,
  from_unixtime(min(start)) AS first_seen,
  from_unixtime(max("end")) AS last_seen
FROM {{ table }}
WHERE {{ in_window() }}
  AND log_status = 'OK'
  AND action = 'ACCEPT'
  AND protocol IN (6, 17)
  AND dstport IN {{ ports }}
  AND {{ is_public("srcaddr") }}
GROUP BY dstaddr, dstport
ORDER BY sources DESC, flows DESC, dstaddr, dstport
LIMIT {{ limit }}
