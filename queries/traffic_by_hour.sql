-- name: traffic_by_hour
-- title: Accepted and rejected traffic per hour
-- description: |
--   One row per hour (UTC, by record start) with accepted and rejected bytes, packets and flow
--   records: a time series to plot. Spikes of rejected flows are scans; a step in accepted bytes
--   is a new workload or a transfer worth explaining. Hours without traffic are absent.
-- category: cost/usage
-- fields: [packets, bytes, start, action, log_status]
-- params: {}
-- columns: [hour, accepted_bytes, rejected_bytes, accepted_packets, rejected_packets, accepted_flows, rejected_flows]
WITH flows AS (
  SELECT date_trunc('hour', from_unixtime(start)) AS hour, action, packets, bytes
  FROM {{ table }}
  WHERE {{ in_window() }}
    AND log_status = 'OK'
)
SELECT
  hour,
  sum(CASE WHEN action = 'ACCEPT' THEN bytes ELSE 0 END) AS accepted_bytes,
  sum(CASE WHEN action = 'REJECT' THEN bytes ELSE 0 END) AS rejected_bytes,
  sum(CASE WHEN action = 'ACCEPT' THEN packets ELSE 0 END) AS accepted_packets,
  sum(CASE WHEN action = 'REJECT' THEN packets ELSE 0 END) AS rejected_packets,
  count_if(action = 'ACCEPT') AS accepted_flows,
  count_if(action = 'REJECT') AS rejected_flows
FROM flows
GROUP BY hour
ORDER BY hour
