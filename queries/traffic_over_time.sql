-- name: traffic_over_time
-- title: Accepted and rejected traffic per time bucket (5 minutes to a day)
-- description: |
--   One row per bucket of the chosen size (UTC, by record start; buckets start at whole multiples
--   of their size since the epoch, so hours and days start on the hour and at midnight) with
--   accepted and rejected bytes, packets and flow records: a time series to plot (`--chart`,
--   `Rows.plot()`, which also draw the buckets without traffic as zero). Buckets without traffic are
--   absent from the rows. traffic_by_hour is this with 1h buckets.
-- category: cost/usage
-- fields: [packets, bytes, start, action, log_status]
-- params:
--   bucket: {type: choice, choices: [1h, 5m, 15m, 1d], default: 1h, help: the bucket size}
-- columns: [bucket_start, accepted_bytes, rejected_bytes, accepted_packets, rejected_packets, accepted_flows, rejected_flows]
WITH flows AS (
  SELECT
    from_unixtime(start - start % (CASE {{ bucket }} WHEN '5m' THEN 300 WHEN '15m' THEN 900
      WHEN '1h' THEN 3600 ELSE 86400 END)) AS bucket_start,
    action, packets, bytes
  FROM {{ table }}
  WHERE {{ in_window() }}
    AND log_status = 'OK'
)
SELECT
  bucket_start,
  sum(CASE WHEN action = 'ACCEPT' THEN bytes ELSE 0 END) AS accepted_bytes,
  sum(CASE WHEN action = 'REJECT' THEN bytes ELSE 0 END) AS rejected_bytes,
  sum(CASE WHEN action = 'ACCEPT' THEN packets ELSE 0 END) AS accepted_packets,
  sum(CASE WHEN action = 'REJECT' THEN packets ELSE 0 END) AS rejected_packets,
  count_if(action = 'ACCEPT') AS accepted_flows,
  count_if(action = 'REJECT') AS rejected_flows
FROM flows
GROUP BY bucket_start
ORDER BY bucket_start
