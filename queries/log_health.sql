-- name: log_health
-- title: NODATA and SKIPDATA records by interface
-- description: |
--   Per interface, how many records of each log status the window holds. NODATA means no traffic
--   in an aggregation interval (normal for idle interfaces); SKIPDATA means records were skipped
--   because of an internal capacity constraint or error: for those intervals the logs are
--   incomplete, so other investigations under-count. Interfaces with SKIPDATA come first.
-- category: health
-- fields: [account_id, interface_id, start, end, log_status]
-- params:
--   limit: {type: int, default: 100, min: 1, max: 10000, help: how many interfaces to return}
-- columns: [interface_id, account_id, ok_records, nodata_records, skipdata_records, first_seen, last_seen]
SELECT
  interface_id,
  account_id,
  count_if(log_status = 'OK') AS ok_records,
  count_if(log_status = 'NODATA') AS nodata_records,
  count_if(log_status = 'SKIPDATA') AS skipdata_records,
  from_unixtime(min(start)) AS first_seen,
  from_unixtime(max("end")) AS last_seen
FROM {{ table }}
WHERE {{ in_window() }}
GROUP BY interface_id, account_id
HAVING count_if(log_status <> 'OK') > 0
ORDER BY skipdata_records DESC, nodata_records DESC, interface_id, account_id
LIMIT {{ limit }}
