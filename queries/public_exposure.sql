-- name: public_exposure
-- title: Sensitive ports reachable from the internet
-- description: |
--   Traffic accepted from public addresses (outside 10/8, 172.16/12, 192.168/16 and fc00::/7) to
--   administration and database ports, one row per destination address and port. Every row is a
--   service a security group or network ACL lets the internet reach: sources counts the distinct
--   public addresses that got through. Tighten the rule, or put the service behind a bastion or VPN.
--   With an inventory, the name and instance behind each exposed address follow.
-- category: security
-- fields: [srcaddr, dstaddr, dstport, protocol, packets, bytes, start, end, action, log_status]
-- params:
--   ports:
--     type: ports
--     default: [22, 23, 445, 1433, 1521, 2375, 3306, 3389, 5432, 5900, 6379, 9200, 11211, 27017]
--     help: destination ports that should not be reachable from the internet
--   limit: {type: int, default: 50, min: 1, max: 10000, help: how many rows to return}
-- inventory: optional
-- inventory_columns: [dst_name, dst_instance]
-- columns: [dstaddr, dstport, service, sources, flows, packets, bytes, first_seen, last_seen]
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
  dstaddr,
  dstport,
  {{ port_service("dstport") }} AS service,
  count(DISTINCT srcaddr) AS sources,
  count(*) AS flows,
  sum(packets) AS packets,
  sum(bytes) AS bytes,
  from_unixtime(min(start)) AS first_seen,
  from_unixtime(max("end")) AS last_seen
{% if has_inventory %}
  , dst.name AS dst_name, dst.instance AS dst_instance
{% endif %}
FROM {{ table }}
{% if has_inventory %}
LEFT JOIN names AS dst ON dst.address = dstaddr
{% endif %}
WHERE {{ in_window() }}
  AND log_status = 'OK'
  AND action = 'ACCEPT'
  AND protocol IN (6, 17)
  AND dstport IN {{ ports }}
  AND {{ is_public("srcaddr") }}
GROUP BY dstaddr, dstport
{% if has_inventory %}
  , dst.name, dst.instance
{% endif %}
ORDER BY sources DESC, flows DESC, dstaddr, dstport
LIMIT {{ limit }}
