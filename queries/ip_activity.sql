-- name: ip_activity
-- title: Everything to or from one address, by peer, port and action
-- description: |
--   All traffic with one address on either side, summarised per direction (outbound: the address
--   is the source; inbound: it is the destination), peer address, port, protocol and action.
--   port is the lower of the flow's two ports, which is usually the service's port, so a
--   conversation and its replies fall into one row per direction. Read REJECT rows first: they are
--   what security groups and network ACLs stopped.
-- category: troubleshooting
-- fields: [srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, log_status]
-- params:
--   ip: {type: ip, help: the address to look at (IPv4 or IPv6)}
--   limit: {type: int, default: 100, min: 1, max: 10000, help: how many rows to return}
-- columns: [direction, peer, port, protocol, action, flows, packets, bytes, first_seen, last_seen]
WITH flows AS (
  SELECT
    CASE WHEN srcaddr = {{ ip }} THEN 'outbound' ELSE 'inbound' END AS direction,
    CASE WHEN srcaddr = {{ ip }} THEN dstaddr ELSE srcaddr END AS peer,
    least(srcport, dstport) AS port,
    protocol AS protocol_number,
    action,
    packets,
    bytes,
    start,
    "end"
  FROM {{ table }}
  WHERE {{ in_window() }}
    AND log_status = 'OK'
    AND (srcaddr = {{ ip }} OR dstaddr = {{ ip }})
)
SELECT
  direction,
  peer,
  port,
  {{ protocol_name("protocol_number") }} AS protocol,
  action,
  count(*) AS flows,
  sum(packets) AS packets,
  sum(bytes) AS bytes,
  from_unixtime(min(start)) AS first_seen,
  from_unixtime(max("end")) AS last_seen
FROM flows
GROUP BY direction, peer, port, protocol_number, action
ORDER BY bytes DESC, flows DESC, direction, peer, port, protocol_number, action
LIMIT {{ limit }}
