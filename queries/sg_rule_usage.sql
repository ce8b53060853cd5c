-- name: sg_rule_usage
-- title: Security-group rules and the traffic they let in
-- description: |
--   Every inbound rule of the security groups on the interfaces that logged records in the window,
--   with the accepted flow records it fits: flows, bytes, distinct sources and the last start time.
--   A record fits a rule when it was accepted on an interface carrying the rule's group, is
--   addressed to one of that interface's addresses, and its protocol, destination port (TCP and
--   UDP) and source fit the rule (inside its CIDR of the same IP version, or an address of an
--   interface in the referenced group). AWS keeps no hit counters and does not say which rule let
--   a packet in, so a record that fits several rules counts for each; replies to connections the
--   interface opened fit rules that allow every port. finding: `unused` (nothing fit in the window:
--   a candidate for removal), `open to the world, few sources` (0.0.0.0/0 or ::/0 used by at most
--   max_sources addresses: narrower_cidrs lists them as /32 and /128 to allow instead),
--   `not evaluated (prefix list)` or `used`. Needs the inventory (`flowsql inventory refresh`).
-- category: security
-- fields: [interface_id, srcaddr, dstaddr, dstport, protocol, bytes, start, action, log_status]
-- inventory: required
-- params:
--   max_sources: {type: int, default: 3, min: 1, max: 100, help: a world-open rule used by at most this many sources is reported}
-- columns: [group_id, group_name, rule_id, protocol, ports, source, flows, bytes, sources, last_matched, finding, narrower_cidrs]
WITH logged AS (
  SELECT DISTINCT interface_id
  FROM {{ table }}
  WHERE {{ in_window() }}
),
rules AS (
  SELECT
    r.rule_id,
    r.group_id,
    r.protocol AS rule_protocol,
    r.from_port,
    r.to_port,
    r.cidr_ipv4,
    r.cidr_ipv6,
    r.prefix_list_id,
    r.referenced_group_id
  FROM {{ inventory('security_group_rules') }} AS r
  WHERE NOT r.is_egress
    AND r.group_id IN (
      SELECT g.group_id
      FROM {{ inventory('interface_groups') }} AS g
      JOIN logged AS l ON l.interface_id = g.interface_id
    )
),
accepted AS (
  SELECT f.interface_id, f.srcaddr, f.dstport, f.protocol, f.bytes, f.start
  FROM {{ table }} AS f
  JOIN {{ inventory('addresses') }} AS own
    ON own.interface_id = f.interface_id AND own.address = f.dstaddr
  WHERE {{ in_window() }}
    AND f.log_status = 'OK'
    AND f.action = 'ACCEPT'
),
fitting AS (
  SELECT
    r.rule_id,
    a.srcaddr,
    a.bytes,
    a.start,
    CASE WHEN a.srcaddr LIKE '%:%' THEN r.cidr_ipv6 ELSE r.cidr_ipv4 END AS rule_cidr,
    r.referenced_group_id
  FROM accepted AS a
  JOIN {{ inventory('interface_groups') }} AS g ON g.interface_id = a.interface_id
  JOIN rules AS r ON r.group_id = g.group_id
  WHERE (r.rule_protocol = -1 OR r.rule_protocol = a.protocol)
    AND (r.rule_protocol NOT IN (6, 17) OR a.dstport BETWEEN r.from_port AND r.to_port)
),
group_addresses AS (
  SELECT DISTINCT g.group_id, ad.address
  FROM {{ inventory('interface_groups') }} AS g
  JOIN {{ inventory('addresses') }} AS ad ON ad.interface_id = g.interface_id
),
matched AS (
  SELECT rule_id, srcaddr, bytes, start
  FROM fitting
  WHERE contains(rule_cidr, CAST(srcaddr AS IPADDRESS))
  UNION ALL
  SELECT x.rule_id, x.srcaddr, x.bytes, x.start
  FROM fitting AS x
  JOIN group_addresses AS ga ON ga.group_id = x.referenced_group_id AND ga.address = x.srcaddr
),
per_source AS (
  SELECT rule_id, srcaddr, count(*) AS flows, sum(bytes) AS bytes, max(start) AS last_start
  FROM matched
  GROUP BY rule_id, srcaddr
),
usage AS (
  SELECT
    rule_id,
    sum(flows) AS flows,
    sum(bytes) AS bytes,
    count(*) AS sources,
    max(last_start) AS last_start,
    array_join(array_agg(source_cidr ORDER BY source_cidr), ', ') AS source_cidrs
  FROM (
    SELECT
      rule_id, flows, bytes, last_start,
      srcaddr || CASE WHEN srcaddr LIKE '%:%' THEN '/128' ELSE '/32' END AS source_cidr
    FROM per_source
  ) AS s
  GROUP BY rule_id
),
described AS (
  SELECT
    r.group_id,
    sg.group_name,
    r.rule_id,
    CASE WHEN r.rule_protocol = -1 THEN 'all' ELSE {{ protocol_name("r.rule_protocol") }} END AS protocol,
    CASE
      WHEN r.rule_protocol NOT IN (6, 17) OR r.from_port = -1 THEN 'all'
      WHEN r.from_port = r.to_port THEN CAST(r.from_port AS VARCHAR)
      ELSE CAST(r.from_port AS VARCHAR) || '-' || CAST(r.to_port AS VARCHAR)
    END AS ports,
    coalesce(r.cidr_ipv4, r.cidr_ipv6, r.referenced_group_id, r.prefix_list_id) AS source,
    coalesce(u.flows, 0) AS flows,
    coalesce(u.bytes, 0) AS bytes,
    coalesce(u.sources, 0) AS sources,
    from_unixtime(u.last_start) AS last_matched,
    CASE
      WHEN r.prefix_list_id IS NOT NULL THEN 'not evaluated (prefix list)'
      WHEN u.flows IS NULL THEN 'unused'
      WHEN (r.cidr_ipv4 = '0.0.0.0/0' OR r.cidr_ipv6 = '::/0') AND u.sources <= {{ max_sources }}
        THEN 'open to the world, few sources'
      ELSE 'used'
    END AS finding,
    u.source_cidrs
  FROM rules AS r
  JOIN {{ inventory('security_groups') }} AS sg ON sg.group_id = r.group_id
  LEFT JOIN usage AS u ON u.rule_id = r.rule_id
)
SELECT
  group_id,
  group_name,
  rule_id,
  protocol,
  ports,
  source,
  flows,
  bytes,
  sources,
  last_matched,
  finding,
  CASE WHEN finding = 'open to the world, few sources' THEN source_cidrs END AS narrower_cidrs
FROM described
ORDER BY
  CASE finding WHEN 'open to the world, few sources' THEN 0 WHEN 'unused' THEN 1 ELSE 2 END,
  bytes DESC,
  group_id,
  rule_id
