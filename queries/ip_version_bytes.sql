-- name: ip_version_bytes
-- title: IPv4 and IPv6 traffic compared
-- description: |
--   Flows, packets and bytes per IP version and action, telling the version apart by the source
--   address (a colon means IPv6). Useful when rolling out IPv6, or to spot IPv6 traffic nobody
--   expected to be allowed.
-- category: cost/usage
-- fields: [srcaddr, dstaddr, packets, bytes, start, action, log_status]
-- params: {}
-- columns: [ip_version, action, flows, packets, bytes, sources, destinations]
WITH flows AS (
  SELECT {{ ip_version("srcaddr") }} AS ip_version, action, srcaddr, dstaddr, packets, bytes
  FROM {{ table }}
  WHERE {{ in_window() }}
    AND log_status = 'OK'
)
SELECT
  ip_version,
  action,
  count(*) AS flows,
  sum(packets) AS packets,
  sum(bytes) AS bytes,
  count(DISTINCT srcaddr) AS sources,
  count(DISTINCT dstaddr) AS destinations
FROM flows
GROUP BY ip_version, action
ORDER BY ip_version, action
