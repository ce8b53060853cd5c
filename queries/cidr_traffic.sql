-- name: cidr_traffic
-- title: Traffic to or from a network (CIDR)
-- description: |
--   Traffic with an address inside the network on either side, one row per source, destination
--   and action, most bytes first. Works for IPv4 and IPv6 networks; records without addresses
--   (NODATA, SKIPDATA) are ignored.
-- category: troubleshooting
-- fields: [srcaddr, dstaddr, packets, bytes, start, end, action, log_status]
-- params:
--   cidr: {type: cidr, help: "the network, e.g. 10.1.0.0/16 or 2001:db8::/32"}
--   limit: {type: int, default: 100, min: 1, max: 10000, help: how many rows to return}
-- columns: [srcaddr, dstaddr, action, flows, packets, bytes, first_seen, last_seen]
SELECT
  srcaddr,
  dstaddr,
  action,
  count(*) AS flows,
  sum(packets) AS packets,
  sum(bytes) AS bytes,
  from_unixtime(min(start)) AS first_seen,
  from_unixtime(max("end")) AS last_seen
FROM {{ table }}
WHERE {{ in_window() }}
  AND log_status = 'OK'
  AND (
    contains({{ cidr }}, CAST(NULLIF(srcaddr, '-') AS IPADDRESS))
    OR contains({{ cidr }}, CAST(NULLIF(dstaddr, '-') AS IPADDRESS))
  )
GROUP BY srcaddr, dstaddr, action
ORDER BY bytes DESC, flows DESC, srcaddr, dstaddr, action
LIMIT {{ limit }}
