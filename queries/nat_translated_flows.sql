-- name: nat_translated_flows
-- title: NAT-translated flows (packet address differs from interface address)
-- description: |
--   Records whose packet-level addresses (pkt-srcaddr, pkt-dstaddr) differ from the interface-level
--   ones (srcaddr, dstaddr): traffic through NAT gateways, load balancers and other intermediaries,
--   or to secondary addresses. Shows who really talks to whom behind a NAT gateway, most bytes
--   first.
-- category: troubleshooting
-- fields: [interface_id, srcaddr, dstaddr, pkt_srcaddr, pkt_dstaddr, packets, bytes, start, log_status]
-- params:
--   limit: {type: int, default: 100, min: 1, max: 10000, help: how many rows to return}
-- columns: [pkt_srcaddr, srcaddr, dstaddr, pkt_dstaddr, interface_id, flows, packets, bytes]
SELECT
  pkt_srcaddr,
  srcaddr,
  dstaddr,
  pkt_dstaddr,
  interface_id,
  count(*) AS flows,
  sum(packets) AS packets,
  sum(bytes) AS bytes
FROM {{ table }}
WHERE {{ in_window() }}
  AND log_status = 'OK'
  AND pkt_srcaddr <> '-'
  AND pkt_dstaddr <> '-'
  AND (pkt_srcaddr <> srcaddr OR pkt_dstaddr <> dstaddr)
GROUP BY pkt_srcaddr, srcaddr, dstaddr, pkt_dstaddr, interface_id
ORDER BY bytes DESC, flows DESC, pkt_srcaddr, srcaddr, dstaddr, pkt_dstaddr, interface_id
LIMIT {{ limit }}
