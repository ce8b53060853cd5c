-- name: new_listening_ports
-- title: Ports that answer now but did not before
-- description: |
--   Inside addresses, ports and protocols that answered accepted connections in the window and
--   not in the baseline_days before it, most bytes first. An address answers on a port when it
--   sends from that port to a higher one (a server replying to a client's ephemeral port), so a
--   probe nobody answered is not counted. clients counts the addresses it answered. Both reads are
--   bounded to their own window and partitions: the run reads the baseline's days too.
-- category: security
-- fields: [srcaddr, dstaddr, srcport, dstport, protocol, bytes, start, action, log_status]
-- params:
--   baseline_days: {type: int, default: 7, min: 1, max: 90, help: days before the window that define what is known}
--   limit: {type: int, default: 50, min: 1, max: 10000, help: how many ports to return}
-- columns: [address, port, protocol, service, clients, flows, bytes, first_seen]
WITH answers AS (
  SELECT srcaddr AS address, srcport AS port, protocol AS protocol_number, dstaddr, bytes, start
  FROM {{ table }}
  WHERE {{ in_window() }}
    AND log_status = 'OK'
    AND action = 'ACCEPT'
    AND srcport < dstport
    AND {{ is_private("srcaddr") }}
),
known AS (
  SELECT DISTINCT srcaddr AS address, srcport AS port, protocol AS protocol_number
  FROM {{ table }}
  WHERE {{ in_baseline(baseline_days) }}
    AND log_status = 'OK'
    AND action = 'ACCEPT'
    AND srcport < dstport
    AND {{ is_private("srcaddr") }}
),
fresh AS (
  SELECT a.address, a.port, a.protocol_number, count(DISTINCT a.dstaddr) AS clients, count(*) AS flows,
    sum(a.bytes) AS bytes, min(a.start) AS first_start
  FROM answers AS a
  LEFT JOIN known AS k
    ON k.address = a.address AND k.port = a.port AND k.protocol_number = a.protocol_number
  WHERE k.address IS NULL
  GROUP BY a.address, a.port, a.protocol_number
)
SELECT
  address,
  port,
  {{ protocol_name("protocol_number") }} AS protocol,
  {{ port_service("port") }} AS service,
  clients,
  flows,
  bytes,
  from_unixtime(first_start) AS first_seen
FROM fresh
ORDER BY bytes DESC, flows DESC, address, port, protocol_number
LIMIT {{ limit }}
