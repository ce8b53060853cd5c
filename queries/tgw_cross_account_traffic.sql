-- name: tgw_cross_account_traffic
-- title: Cross-account traffic through a transit gateway
-- description: |
--   Bytes, packets and flows between VPCs of different accounts through a transit gateway, per
--   source and destination account, counted once per flow at the attachment where it entered
--   (flow_direction ingress). Traffic from or to a VPN or Direct Connect attachment has no VPC
--   account ('-' in text, NULL in Parquet) and is left out, and so is traffic that found no way
--   out (see tgw_drops). Needs a transit gateway flow log (version 6 fields).
-- category: security
-- fields: [tgw_src_vpc_account_id, tgw_dst_vpc_account_id, tgw_attachment_id, tgw_pair_attachment_id, flow_direction, packets, bytes, start, log_status]
-- params:
--   limit: {type: int, default: 50, min: 1, max: 10000, help: how many account pairs to return}
-- columns: [src_account, dst_account, bytes, packets, flows, attachment_pairs]
SELECT
  tgw_src_vpc_account_id AS src_account,
  tgw_dst_vpc_account_id AS dst_account,
  sum(bytes) AS bytes,
  sum(packets) AS packets,
  count(*) AS flows,
  count(DISTINCT concat(tgw_attachment_id, ' ', tgw_pair_attachment_id)) AS attachment_pairs
FROM {{ table }}
WHERE {{ in_window() }}
  AND log_status = 'OK'
  AND flow_direction = 'ingress'
  AND tgw_src_vpc_account_id <> '-'
  AND tgw_dst_vpc_account_id <> '-'
  AND tgw_src_vpc_account_id <> tgw_dst_vpc_account_id
  AND tgw_pair_attachment_id <> '-'
GROUP BY tgw_src_vpc_account_id, tgw_dst_vpc_account_id
ORDER BY bytes DESC, flows DESC, src_account, dst_account
LIMIT {{ limit }}
