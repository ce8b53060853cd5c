-- name: new_destinations
-- title: Destinations the VPC connects to now but did not before
-- description: |
--   Addresses that inside hosts (private sources) opened accepted connections to in the window and
--   not in the baseline_days before it, most bytes first. A record counts as a connection to its
--   destination when its destination port is below its source port (a client's ephemeral port
--   calling a service), so replies to clients and pings are left out. Both reads are bounded to
--   their own window and partitions: the run reads the baseline's days too.
-- category: security
-- fields: [srcaddr, dstaddr, srcport, dstport, bytes, start, end, action, log_status]
-- params:
--   baseline_days: {type: int, default: 7, min: 1, max: 90, help: days before the window that define what is known}
--   limit: {type: int, default: 50, min: 1, max: 10000, help: how many destinations to return}
-- columns: [dstaddr, sources, flows, bytes, first_seen, last_seen]
WITH recent AS (
  SELECT srcaddr, dstaddr, bytes, start, "end"
  FROM {{ table }}
  WHERE {{ in_window() }}
    AND log_status = 'OK'
    AND action = 'ACCEPT'
    AND dstport < srcport
    AND {{ is_private("srcaddr") }}
),
known AS (
  SELECT DISTINCT dstaddr
  FROM {{ table }}
  WHERE {{ in_baseline(baseline_days) }}
    AND log_status = 'OK'
    AND action = 'ACCEPT'
    AND dstport < srcport
    AND {{ is_private("srcaddr") }}
)
SELECT
  r.dstaddr,
  count(DISTINCT r.srcaddr) AS sources,
  count(*) AS flows,
  sum(r.bytes) AS bytes,
  from_unixtime(min(r.start)) AS first_seen,
  from_unixtime(max(r."end")) AS last_seen
FROM recent AS r
LEFT JOIN known AS k ON k.dstaddr = r.dstaddr
WHERE k.dstaddr IS NULL
GROUP BY r.dstaddr
ORDER BY bytes DESC, flows DESC, r.dstaddr
LIMIT {{ limit }}
