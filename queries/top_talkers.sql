-- name: top_talkers
-- title: Address pairs by bytes (top talkers)
-- description: |
--   Source and destination address pairs ranked by the bytes they exchanged in that direction,
--   accepted and rejected alike. flows counts flow records. The reply direction of a conversation is
--   its own row (swap the addresses). Use it to find what fills a link or a NAT gateway's bill.
-- category: cost/usage
-- fields: [srcaddr, dstaddr, packets, bytes, start, log_status]
-- params:
--   limit: {type: int, default: 20, min: 1, max: 10000, help: how many pairs to return}
-- columns: [srcaddr, dstaddr, bytes, packets, flows]
SELECT
  srcaddr,
  dstaddr,
  sum(bytes) AS bytes,
  sum(packets) AS packets,
  count(*) AS flows
FROM {{ table }}
WHERE {{ in_window() }}
  AND log_status = 'OK'
GROUP BY srcaddr, dstaddr
ORDER BY bytes DESC, packets DESC, srcaddr, dstaddr
LIMIT {{ limit }}
