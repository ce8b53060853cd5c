-- name: nat_gateway_cost
-- title: What the NAT gateways process, by source and destination, and what it costs
-- description: |
--   Bytes through each NAT gateway, counted once on the VPC side of its interface (the records
--   between the gateway and an address inside: requests from the instance and the replies to it),
--   by source (the inside address, named from the inventory) and destination: the AWS service
--   whose published IP range holds the real remote address (pkt-dstaddr, pkt-srcaddr; the most
--   specific service, AMAZON when only that matches) or `internet`. cost_usd prices the bytes at
--   price_per_gb per GiB (2^30 bytes) of data processed; the default is the rate AWS publishes for
--   US East (N. Virginia), look up your Region's. gateway_endpoint names the free gateway endpoint
--   (S3 or DynamoDB in the gateway's own Region) that would carry that traffic instead, and
--   endpoint_share is the part of the gateway's bytes such endpoints would remove. Needs the
--   inventory with AWS IP ranges (`flowsql inventory refresh --ip-ranges FILE`).
-- category: cost/usage
-- fields: [interface_id, srcaddr, dstaddr, pkt_srcaddr, pkt_dstaddr, bytes, start, log_status]
-- inventory: required
-- params:
--   price_per_gb: {type: price, default: 0.045, help: US dollars per GiB processed (0.045 in us-east-1)}
--   limit: {type: int, default: 100, min: 1, max: 10000, help: how many rows to return}
-- columns: [nat_gateway_id, source, source_name, destination, flows, bytes, cost_usd, gateway_endpoint, endpoint_share]
WITH legs AS (
  SELECT
    n.nat_gateway_id,
    n.interface_id,
    n.private_ip AS nat_ip,
    CASE WHEN f.srcaddr = n.private_ip THEN f.dstaddr ELSE f.srcaddr END AS source,
    CASE WHEN f.srcaddr = n.private_ip THEN f.pkt_srcaddr ELSE f.pkt_dstaddr END AS remote,
    f.bytes
  FROM {{ table }} AS f
  JOIN {{ inventory('nat_gateways') }} AS n ON n.interface_id = f.interface_id
  WHERE {{ in_window() }}
    AND f.log_status = 'OK'
    AND (f.srcaddr = n.private_ip OR f.dstaddr = n.private_ip)
),
inside AS (
  SELECT nat_gateway_id, interface_id, source, remote, bytes
  FROM legs
  WHERE {{ is_private("source") }}
    AND source <> nat_ip
    AND remote <> '-'
    AND remote <> source
    AND remote <> nat_ip
),
remotes AS (
  SELECT DISTINCT remote FROM inside
),
services AS (
  SELECT
    m.remote,
    max_by(r.service, CASE WHEN r.service = 'AMAZON' THEN 0 ELSE 1000 END + r.prefix_length) AS service,
    max_by(r.region, CASE WHEN r.service = 'AMAZON' THEN 0 ELSE 1000 END + r.prefix_length) AS service_region
  FROM remotes AS m
  JOIN {{ inventory('ip_ranges') }} AS r
    ON r.ip_version = CASE WHEN m.remote LIKE '%:%' THEN 'IPv6' ELSE 'IPv4' END
    AND contains(r.prefix, CAST(m.remote AS IPADDRESS))
  GROUP BY m.remote
),
names AS (
  SELECT a.address, max(coalesce(i.name, i.instance_id, i.aws_service, i.interface_id)) AS name
  FROM {{ inventory('addresses') }} AS a
  JOIN {{ inventory('interfaces') }} AS i ON i.interface_id = a.interface_id
  GROUP BY a.address
),
classified AS (
  SELECT
    x.nat_gateway_id,
    x.source,
    coalesce(s.service, 'internet') AS destination,
    CASE
      WHEN s.service IN ('S3', 'DYNAMODB') AND s.service_region = ni.region
        THEN s.service || ' gateway endpoint'
    END AS gateway_endpoint,
    x.bytes
  FROM inside AS x
  LEFT JOIN services AS s ON s.remote = x.remote
  LEFT JOIN {{ inventory('interfaces') }} AS ni ON ni.interface_id = x.interface_id
),
grouped AS (
  SELECT nat_gateway_id, source, destination, gateway_endpoint, count(*) AS flows, sum(bytes) AS bytes
  FROM classified
  GROUP BY nat_gateway_id, source, destination, gateway_endpoint
)
SELECT
  g.nat_gateway_id,
  g.source,
  n.name AS source_name,
  g.destination,
  g.flows,
  g.bytes,
  g.bytes * {{ price_per_gb }} / 1073741824 AS cost_usd,
  g.gateway_endpoint,
  CAST(sum(CASE WHEN g.gateway_endpoint IS NOT NULL THEN g.bytes ELSE 0 END)
    OVER (PARTITION BY g.nat_gateway_id) AS DOUBLE)
    / sum(g.bytes) OVER (PARTITION BY g.nat_gateway_id) AS endpoint_share
FROM grouped AS g
LEFT JOIN names AS n ON n.address = g.source
ORDER BY g.bytes DESC, g.nat_gateway_id, g.source, g.destination
LIMIT {{ limit }}
