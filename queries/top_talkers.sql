-- name: top_talkers
-- title: Address pairs by bytes (top talkers)
-- description: |
--   Source and destination address pairs ranked by the bytes they exchanged in that direction,
--   accepted and rejected alike. flows counts flow records. The reply direction of a conversation is
--   its own row (swap the addresses). Use it to find what fills a link or a NAT gateway's bill.
--   With an inventory, the names (or AWS services) and instances behind both addresses follow.
-- category: cost/usage
-- fields: [srcaddr, dstaddr, packets, bytes, start, log_status]
-- params:
--   limit: {type: int, default: 20, min: 1, max: 10000, help: how many pairs to return}
-- inventory: optional
-- inventory_columns: [src_name, src_instance, dst_name, dst_instance]
-- columns: [srcaddr, dstaddr, bytes, packets, flows]
{% if has_inventory %}
WITH names AS (
  -- one row per address: the name (or AWS service) and instance of the interface holding it
  SELECT ad.address, max(coalesce(i.name, i.aws_service)) AS name, max(i.instance_id) AS instance
  FROM {{ inventory('addresses') }} AS ad
  JOIN {{ inventory('interfaces') }} AS i ON i.interface_id = ad.interface_id
  GROUP BY ad.address
)
{% endif %}
SELECT
  srcaddr,
  dstaddr,
  sum(bytes) AS bytes,
  sum(packets) AS packets,
  count(*) AS flows
{% if has_inventory %}
  , src.name AS src_name, src.instance AS src_instance, dst.name AS dst_name, dst.instance AS dst_instance
{% endif %}
FROM {{ table }}
{% if has_inventory %}
LEFT JOIN names AS src ON src.address = srcaddr
LEFT JOIN names AS dst ON dst.address = dstaddr
{% endif %}
WHERE {{ in_window() }}
  AND log_status = 'OK'
GROUP BY srcaddr, dstaddr
{% if has_inventory %}
  , src.name, src.instance, dst.name, dst.instance
{% endif %}
ORDER BY bytes DESC, packets DESC, srcaddr, dstaddr
LIMIT {{ limit }}
