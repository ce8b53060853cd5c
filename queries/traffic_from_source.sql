-- name: traffic_from_source
-- title: Traffic sent by one address
-- description: |
--   Everything one address sent, one row per destination, destination port, protocol and action,
--   most bytes first.
-- category: troubleshooting
-- fields: [srcaddr, dstaddr, dstport, protocol, packets, bytes, start, end, action, log_status]
-- params:
--   ip: {type: ip, help: the source address}
--   limit: {type: int, default: 100, min: 1, max: 10000, help: how many rows to return}
-- columns: [dstaddr, dstport, protocol, action, flows, packets, bytes, first_seen, last_seen]
WITH flows AS (
  SELECT dstaddr, dstport, protocol AS protocol_number, action, packets, bytes, start, "end"
  FROM {{ table }}
  WHERE {{ in_window() }}
    AND log_status = 'OK'
    AND srcaddr = {{ ip }}
)
SELECT
  dstaddr,
  dstport,
  {{ protocol_name("protocol_number") }} AS protocol,
  action,
  count(*) AS flows,
  sum(packets) AS packets,
  sum(bytes) AS bytes,
  from_unixtime(min(start)) AS first_seen,
  from_unixtime(max("end")) AS last_seen
FROM flows
GROUP BY dstaddr, dstport, protocol_number, action
ORDER BY bytes DESC, flows DESC, dstaddr, dstport, protocol_number, action
LIMIT {{ limit }}
