-- name: cross_az_traffic
-- title: Traffic between Availability Zones, by pair of interfaces, and what it costs
-- description: |
--   Bytes sent from one interface to another in a different Availability Zone, counted once: on
--   the sending interface (its record whose source is one of its own addresses). Zones are the
--   zone ids (use1-az1, the values of the az-id field) of the two interfaces in the inventory;
--   traffic to addresses the inventory does not know (the internet, peered VPCs) is left out.
--   cost_usd prices the bytes at price_per_gb per GiB (2^30 bytes); the default, 0.02, is AWS's
--   published $0.01/GB charged on each side of an in-Region cross-AZ transfer. Needs the inventory.
-- category: cost/usage
-- fields: [interface_id, srcaddr, dstaddr, bytes, start, log_status]
-- inventory: required
-- params:
--   price_per_gb: {type: price, default: 0.02, help: US dollars per GiB sent across zones (both sides)}
--   limit: {type: int, default: 20, min: 1, max: 10000, help: how many pairs to return}
-- columns: [src_az, dst_az, src_interface, src_name, dst_interface, dst_name, flows, bytes, cost_usd]
WITH owners AS (
  SELECT address, min(interface_id) AS interface_id
  FROM {{ inventory('addresses') }}
  GROUP BY address
),
sent AS (
  SELECT f.interface_id, f.dstaddr, f.bytes
  FROM {{ table }} AS f
  JOIN {{ inventory('addresses') }} AS own
    ON own.interface_id = f.interface_id AND own.address = f.srcaddr
  WHERE {{ in_window() }}
    AND f.log_status = 'OK'
),
pairs AS (
  SELECT s.interface_id AS src_interface, o.interface_id AS dst_interface, count(*) AS flows,
    sum(s.bytes) AS bytes
  FROM sent AS s
  JOIN owners AS o ON o.address = s.dstaddr
  WHERE o.interface_id <> s.interface_id
  GROUP BY s.interface_id, o.interface_id
)
SELECT
  si.az_id AS src_az,
  di.az_id AS dst_az,
  p.src_interface,
  coalesce(si.name, si.instance_id, si.aws_service) AS src_name,
  p.dst_interface,
  coalesce(di.name, di.instance_id, di.aws_service) AS dst_name,
  p.flows,
  p.bytes,
  p.bytes * {{ price_per_gb }} / 1073741824 AS cost_usd
FROM pairs AS p
JOIN {{ inventory('interfaces') }} AS si ON si.interface_id = p.src_interface
JOIN {{ inventory('interfaces') }} AS di ON di.interface_id = p.dst_interface
WHERE si.az_id <> di.az_id
ORDER BY p.bytes DESC, p.src_interface, p.dst_interface
LIMIT {{ limit }}
