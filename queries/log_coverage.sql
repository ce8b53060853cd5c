-- name: log_coverage
-- title: Flow-log records per hour and status (delivery gaps)
-- description: |
--   One row per hour (UTC, by record start) with the number of interfaces that logged anything and
--   the records of each log status. An hour missing from the series, or a sudden drop in
--   interfaces, means logs were not delivered (a deleted flow log, a permissions change on the
--   bucket) or the partitions do not cover it; SKIPDATA counts mean records were dropped.
-- category: health
-- fields: [interface_id, start, log_status]
-- params: {}
-- columns: [hour, interfaces, ok_records, nodata_records, skipdata_records]
WITH records AS (
  SELECT date_trunc('hour', from_unixtime(start)) AS hour, interface_id, log_status
  FROM {{ table }}
  WHERE {{ in_window() }}
)
SELECT
  hour,
  count(DISTINCT interface_id) AS interfaces,
  count_if(log_status = 'OK') AS ok_records,
  count_if(log_status = 'NODATA') AS nodata_records,
  count_if(log_status = 'SKIPDATA') AS skipdata_records
FROM records
GROUP BY hour
ORDER BY hour
