-- name: incomplete_tcp_connections
-- title: TCP connections that never completed (SYN without SYN-ACK)
-- description: |
--   Client, server and port triples where the client sent SYN (tcp-flags) but no SYN-ACK came
--   back from the server in the window: connection attempts that were dropped, refused upstream or
--   sent to nothing listening. syn_flows counts the client's flow records carrying SYN, rejected
--   those a security group or network ACL rejected. A source with many such rows across servers
--   is scanning; a single triple with steady attempts is a broken dependency.
-- category: troubleshooting
-- fields: [srcaddr, dstaddr, srcport, dstport, protocol, tcp_flags, start, end, action, log_status]
-- params:
--   limit: {type: int, default: 100, min: 1, max: 10000, help: how many rows to return}
-- columns: [srcaddr, dstaddr, dstport, syn_flows, rejected, first_seen, last_seen]
WITH syns AS (
  SELECT
    srcaddr,
    dstaddr,
    dstport,
    count(*) AS syn_flows,
    count_if(action = 'REJECT') AS rejected,
    min(start) AS first_start,
    max("end") AS last_end
  FROM {{ table }}
  WHERE {{ in_window() }}
    AND log_status = 'OK'
    AND protocol = 6
    AND bitwise_and(tcp_flags, 18) = 2
  GROUP BY srcaddr, dstaddr, dstport
),
syn_acks AS (
  SELECT DISTINCT
    dstaddr AS client,
    srcaddr AS server,
    srcport AS server_port
  FROM {{ table }}
  WHERE {{ in_window() }}
    AND log_status = 'OK'
    AND protocol = 6
    AND bitwise_and(tcp_flags, 18) = 18
)
SELECT
  syns.srcaddr,
  syns.dstaddr,
  syns.dstport,
  syns.syn_flows,
  syns.rejected,
  from_unixtime(syns.first_start) AS first_seen,
  from_unixtime(syns.last_end) AS last_seen
FROM syns
LEFT JOIN syn_acks
  ON syn_acks.client = syns.srcaddr
  AND syn_acks.server = syns.dstaddr
  AND syn_acks.server_port = syns.dstport
WHERE syn_acks.client IS NULL
ORDER BY syn_flows DESC, srcaddr, dstaddr, dstport
LIMIT {{ limit }}
