-- name: high_packet_flows
-- title: Flow records with very many packets
-- description: |
--   Single flow records (one 5-tuple in one aggregation interval) that carried at least
--   min_packets packets, most packets first. packets_per_second divides by the record's duration
--   (at least one second). Floods, DoS attempts and runaway replication show up here.
-- category: security
-- fields: [interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, log_status]
-- params:
--   min_packets: {type: int, default: 10000, min: 1, max: 1000000000000, help: report records with at least this many packets}
--   limit: {type: int, default: 100, min: 1, max: 10000, help: how many records to return}
-- columns: [start_time, interface_id, srcaddr, srcport, dstaddr, dstport, protocol, action, packets, bytes, seconds, packets_per_second]
WITH flows AS (
  SELECT
    start,
    "end" - start AS seconds,
    interface_id,
    srcaddr,
    srcport,
    dstaddr,
    dstport,
    protocol AS protocol_number,
    action,
    packets,
    bytes
  FROM {{ table }}
  WHERE {{ in_window() }}
    AND log_status = 'OK'
    AND packets >= {{ min_packets }}
)
SELECT
  from_unixtime(start) AS start_time,
  interface_id,
  srcaddr,
  srcport,
  dstaddr,
  dstport,
  {{ protocol_name("protocol_number") }} AS protocol,
  action,
  packets,
  bytes,
  seconds,
  packets / greatest(seconds, 1) AS packets_per_second
FROM flows
ORDER BY packets DESC, bytes DESC, start, interface_id, srcaddr, srcport, dstaddr, dstport, protocol_number, action
LIMIT {{ limit }}
