-- name: tcp_flags_summary
-- title: TCP flag combinations
-- description: |
--   TCP flow records per tcp-flags value, decoded (SYN, SYN-ACK, FIN, RST and their combinations;
--   none when only ACK or PSH were seen, which the field does not report). Many SYN-only records
--   against few SYN-ACK means connections that do not complete (see
--   incomplete_tcp_connections); many RST means refused or torn-down connections.
-- category: health
-- fields: [protocol, tcp_flags, packets, bytes, start, action, log_status]
-- params: {}
-- columns: [flags, tcp_flags, flows, packets, bytes, rejected_flows]
SELECT
  {{ tcp_flags_name("tcp_flags") }} AS flags,
  tcp_flags,
  count(*) AS flows,
  sum(packets) AS packets,
  sum(bytes) AS bytes,
  count_if(action = 'REJECT') AS rejected_flows
FROM {{ table }}
WHERE {{ in_window() }}
  AND log_status = 'OK'
  AND protocol = 6
GROUP BY tcp_flags
ORDER BY flows DESC, tcp_flags
