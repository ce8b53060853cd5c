-- name: connectivity_check
-- title: Why can't src reach dst:port?
-- description: |
--   The flow records of connections from src to dst on port, and of the replies, summarised by
--   direction (request: src → dst:port; reply: dst:port → src), the interface that logged them and
--   the action. How to read it:
--   - no rows at all: the traffic never reached a logged interface (routing, DNS, the client never
--     sent, or flow logs are not enabled on those interfaces);
--   - request REJECT: a security group or network ACL of the interface in that row dropped it;
--   - request ACCEPT but reply REJECT: a network ACL is missing the return rule (ACLs are stateless);
--   - everything ACCEPT: the network allows it, look at the application (is it listening?).
--   With an inventory, the name and instance of each interface follow.
-- category: troubleshooting
-- fields: [interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, log_status]
-- params:
--   src: {type: ip, example: 10.0.1.20, help: the client address}
--   dst: {type: ip, example: 10.0.2.30, help: the server address}
--   port: {type: port, example: 5432, help: the server port}
-- inventory: optional
-- inventory_columns: [interface_name, interface_instance]
-- columns: [direction, interface_id, protocol, action, flows, packets, bytes, first_seen, last_seen]
WITH flows AS (
  SELECT
    CASE WHEN srcaddr = {{ src }} THEN 'request' ELSE 'reply' END AS direction,
    interface_id,
    protocol AS protocol_number,
    action,
    packets,
    bytes,
    start,
    "end"
  FROM {{ table }}
  WHERE {{ in_window() }}
    AND log_status = 'OK'
    AND (
      (srcaddr = {{ src }} AND dstaddr = {{ dst }} AND dstport = {{ port }})
      OR (srcaddr = {{ dst }} AND dstaddr = {{ src }} AND srcport = {{ port }})
    )
)
{% if has_inventory %}
, interface_names AS (
  SELECT interface_id AS eni, coalesce(name, aws_service) AS interface_name, instance_id AS interface_instance
  FROM {{ inventory('interfaces') }}
)
{% endif %}
SELECT
  direction,
  interface_id,
  {{ protocol_name("protocol_number") }} AS protocol,
  action,
  count(*) AS flows,
  sum(packets) AS packets,
  sum(bytes) AS bytes,
  from_unixtime(min(start)) AS first_seen,
  from_unixtime(max("end")) AS last_seen
{% if has_inventory %}
  , n.interface_name, n.interface_instance
{% endif %}
FROM flows
{% if has_inventory %}
LEFT JOIN interface_names AS n ON n.eni = interface_id
{% endif %}
GROUP BY direction, interface_id, protocol_number, action
{% if has_inventory %}
  , n.interface_name, n.interface_instance
{% endif %}
ORDER BY direction, interface_id, protocol_number, action
