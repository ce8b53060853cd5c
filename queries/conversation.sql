-- name: conversation
-- title: Flows between two addresses
-- description: |
--   Every flow record between ip_a and ip_b, both directions, in time order: one row per record,
--   with the interface that recorded it. A connection usually shows twice per interval (request
--   and reply) and once more per interface on the path (the client's and the server's). A REJECT
--   in one direction only points at a stateless network ACL; a REJECT of the request at a security
--   group or ACL on the side that logged it.
--   With an inventory, the name and instance of the interface that logged each record follow.
-- category: troubleshooting
-- fields: [interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, log_status]
-- params:
--   ip_a: {type: ip, example: 10.0.1.20, help: one address}
--   ip_b: {type: ip, example: 10.0.2.30, help: the other address}
--   limit: {type: int, default: 500, min: 1, max: 100000, help: how many records to return}
-- inventory: optional
-- inventory_columns: [interface_name, interface_instance]
-- columns: [start_time, end_time, interface_id, srcaddr, srcport, dstaddr, dstport, protocol, action, packets, bytes]
{% if has_inventory %}
WITH interface_names AS (
  SELECT interface_id AS eni, coalesce(name, aws_service) AS interface_name, instance_id AS interface_instance
  FROM {{ inventory('interfaces') }}
)
{% endif %}
SELECT
  from_unixtime(start) AS start_time,
  from_unixtime("end") AS end_time,
  interface_id,
  srcaddr,
  srcport,
  dstaddr,
  dstport,
  {{ protocol_name("protocol") }} AS protocol,
  action,
  packets,
  bytes
{% if has_inventory %}
  , n.interface_name, n.interface_instance
{% endif %}
FROM {{ table }}
{% if has_inventory %}
LEFT JOIN interface_names AS n ON n.eni = interface_id
{% endif %}
WHERE {{ in_window() }}
  AND log_status = 'OK'
  AND (
    (srcaddr = {{ ip_a }} AND dstaddr = {{ ip_b }})
    OR (srcaddr = {{ ip_b }} AND dstaddr = {{ ip_a }})
  )
ORDER BY start_time, end_time, interface_id, srcaddr, srcport, dstaddr, dstport, protocol, action, packets, bytes
LIMIT {{ limit }}
