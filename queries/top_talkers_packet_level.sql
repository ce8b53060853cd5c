-- name: top_talkers_packet_level
-- title: Address pairs by bytes, at the packet level
-- description: |
--   Like top_talkers, but by the packets' own addresses (pkt-srcaddr, pkt-dstaddr) rather than the
--   interface's: traffic through a NAT gateway, load balancer or transit appliance is attributed to
--   the real endpoints instead of the intermediary's private address.
-- category: cost/usage
-- fields: [pkt_srcaddr, pkt_dstaddr, packets, bytes, start, log_status]
-- params:
--   limit: {type: int, default: 20, min: 1, max: 10000, help: how many pairs to return}
-- columns: [pkt_srcaddr, pkt_dstaddr, bytes, packets, flows]
SELECT
  pkt_srcaddr,
  pkt_dstaddr,
  sum(bytes) AS bytes,
  sum(packets) AS packets,
  count(*) AS flows
FROM {{ table }}
WHERE {{ in_window() }}
  AND log_status = 'OK'
GROUP BY pkt_srcaddr, pkt_dstaddr
ORDER BY bytes DESC, packets DESC, pkt_srcaddr, pkt_dstaddr
LIMIT {{ limit }}
