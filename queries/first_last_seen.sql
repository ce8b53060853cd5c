-- name: first_last_seen
-- title: First and last appearance of each source
-- description: |
--   Per source address, the first and last time it appeared in the window, with its flows, bytes
--   and distinct destinations; newest first. A source that first appeared minutes ago and already
--   talks to many destinations deserves a look.
-- category: security
-- fields: [srcaddr, dstaddr, bytes, start, end, action, log_status]
-- params:
--   limit: {type: int, default: 100, min: 1, max: 10000, help: how many sources to return}
-- columns: [srcaddr, first_seen, last_seen, flows, bytes, destinations, rejected]
SELECT
  srcaddr,
  from_unixtime(min(start)) AS first_seen,
  from_unixtime(max("end")) AS last_seen,
  count(*) AS flows,
  sum(bytes) AS bytes,
  count(DISTINCT dstaddr) AS destinations,
  count_if(action = 'REJECT') AS rejected
FROM {{ table }}
WHERE {{ in_window() }}
  AND log_status = 'OK'
GROUP BY srcaddr
ORDER BY first_seen DESC, srcaddr
LIMIT {{ limit }}
