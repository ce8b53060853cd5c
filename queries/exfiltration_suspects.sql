-- name: exfiltration_suspects
-- title: Internal sources sending the most to the internet
-- description: |
--   Private addresses (10/8, 172.16/12, 192.168/16, fc00::/7) ranked by the bytes they sent to
--   public addresses in accepted flows, from min_bytes up. destinations counts the distinct public
--   addresses. A host that normally talks to a few APIs but sent gigabytes to one unfamiliar
--   address is the pattern to chase; NAT gateways appear too, as the private address of their
--   interface (look behind them with nat_translated_flows).
-- category: security
-- fields: [srcaddr, dstaddr, packets, bytes, start, end, action, log_status]
-- params:
--   min_bytes: {type: int, default: 1000000, min: 0, max: 1000000000000000, help: report sources that sent at least this many bytes}
--   limit: {type: int, default: 20, min: 1, max: 10000, help: how many sources to return}
-- columns: [srcaddr, bytes, packets, destinations, flows, first_seen, last_seen]
SELECT
  srcaddr,
  sum(bytes) AS bytes,
  sum(packets) AS packets,
  count(DISTINCT dstaddr) AS destinations,
  count(*) AS flows,
  from_unixtime(min(start)) AS first_seen,
  from_unixtime(max("end")) AS last_seen
FROM {{ table }}
WHERE {{ in_window() }}
  AND log_status = 'OK'
  AND action = 'ACCEPT'
  AND {{ is_private("srcaddr") }}
  AND {{ is_public("dstaddr") }}
GROUP BY srcaddr
HAVING sum(bytes) >= {{ min_bytes }}
ORDER BY bytes DESC, srcaddr
LIMIT {{ limit }}
