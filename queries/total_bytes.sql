-- name: total_bytes
-- title: Total traffic in the window
-- description: |
--   One row: all flow records, packets and bytes in the window, split into accepted and rejected,
--   with the number of distinct source and destination addresses and interfaces. The quick size of
--   a window before digging in, and the denominator for every other investigation.
-- category: cost/usage
-- fields: [interface_id, srcaddr, dstaddr, packets, bytes, start, action, log_status]
-- params: {}
-- columns: [flows, packets, bytes, accepted_bytes, rejected_bytes, sources, destinations, interfaces]
SELECT
  count(*) AS flows,
  coalesce(sum(packets), 0) AS packets,
  coalesce(sum(bytes), 0) AS bytes,
  coalesce(sum(CASE WHEN action = 'ACCEPT' THEN bytes ELSE 0 END), 0) AS accepted_bytes,
  coalesce(sum(CASE WHEN action = 'REJECT' THEN bytes ELSE 0 END), 0) AS rejected_bytes,
  count(DISTINCT srcaddr) AS sources,
  count(DISTINCT dstaddr) AS destinations,
  count(DISTINCT interface_id) AS interfaces
FROM {{ table }}
WHERE {{ in_window() }}
  AND log_status = 'OK'
