-- name: traffic_to_destination
-- title: Traffic received by one address
-- description: |
--   Everything sent to one address, one row per source, destination port, protocol and action,
--   most bytes first: who uses a service, and who is kept out.
-- category: troubleshooting
-- fields: [srcaddr, dstaddr, dstport, protocol, packets, bytes, start, end, action, log_status]
-- params:
--   ip: {type: ip, help: the destination address}
--   limit: {type: int, default: 100, min: 1, max: 10000, help: how many rows to return}
-- columns: [srcaddr, dstport, protocol, action, flows, packets, bytes, first_seen, last_seen]
WITH flows AS (
  SELECT srcaddr, dstport, protocol AS protocol_number, action, packets, bytes, start, "end"
  FROM {{ table }}
  WHERE {{ in_window() }}
    AND log_status = 'OK'
    AND dstaddr = {{ ip }}
)
SELECT
  srcaddr,
  dstport,
  {{ protocol_name("protocol_number") }} AS protocol,
  action,
  count(*) AS flows,
  sum(packets) AS packets,
  sum(bytes) AS bytes,
  from_unixtime(min(start)) AS first_seen,
  from_unixtime(max("end")) AS last_seen
FROM flows
GROUP BY srcaddr, dstport, protocol_number, action
ORDER BY bytes DESC, flows DESC, srcaddr, dstport, protocol_number, action
LIMIT {{ limit }}
