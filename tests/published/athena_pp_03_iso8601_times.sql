-- Source: Athena User Guide, partition projection page, example 3 (records of a period, ISO-8601 times).
-- Adapted: table name; partition `day` is date_partition; the period moved to July 2020.
SELECT interface_id,
       srcaddr,
       action,
       protocol,
       to_iso8601(from_unixtime(start)) AS start_time,
       to_iso8601(from_unixtime("end")) AS end_time
FROM vpc_flow_logs.flow_logs
WHERE date_partition >= '2020/07/01'
  AND date_partition < '2020/07/31'
