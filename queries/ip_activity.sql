-- name: ip_activity
-- title: Everything to or from one address, by peer, port and action
-- description: |
--   All traffic with one address on either side, summarised per direction (outbound: the address
--   is the source; inbound: it is the destination), peer address, port, protocol and action.
--   port is the lower of the flow's two ports, which is usually the service's port, so a
--   conversation and its replies fall into one row per direction. Read REJECT rows first: they are
--   what security groups and network ACLs stopped.
--   With an inventory, the name and instance behind each peer follow.
-- category: troubleshooting
-- fields: [srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, log_status]
-- params:
--   ip: {type: ip, help: the address to look at (IPv4 or IPv6)}
--   limit: {type: int, default: 100, min: 1, max: 10000, help: how many rows to return}
-- inventory: optional
-- inventory_columns: [peer_name, peer_instance]
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
{% if has_inventory %}
, names AS (
  SELECT ad.address, max(coalesce(i.name, i.aws_service)) AS name, max(i.instance_id) AS instance
  FROM {{ inventory('addresses') }} AS ad
  JOIN {{ inventory('interfaces') }} AS i ON i.interface_id = ad.interface_id
  GROUP BY ad.address
)
{% endif %}
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
{% if has_inventory %}
  , n.name AS peer_name, n.instance AS peer_instance
{% endif %}
FROM flows
{% if has_inventory %}
LEFT JOIN names AS n ON n.address = flows.peer
{% endif %}
GROUP BY direction, peer, port, protocol_number, action
{% if has_inventory %}
  , n.name, n.instance
{% endif %}
ORDER BY bytes DESC, flows DESC, direction, peer, port, protocol_number, action
LIMIT {{ limit }}
