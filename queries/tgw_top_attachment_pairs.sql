-- name: tgw_top_attachment_pairs
-- title: Transit gateway attachment pairs by bytes
-- description: |
--   Traffic through a transit gateway from the attachment where it entered to the one it left by,
--   largest first: the records at the entering attachment (flow_direction ingress), so each flow
--   counts once. Traffic that found no way out (pair '-', or NULL in Parquet; see tgw_drops) is
--   left out. Needs a transit gateway flow log (version 6 fields).
-- category: cost/usage
-- fields: [tgw_attachment_id, tgw_pair_attachment_id, flow_direction, packets, bytes, start, log_status]
-- params:
--   limit: {type: int, default: 20, min: 1, max: 10000, help: how many pairs to return}
-- columns: [from_attachment, to_attachment, bytes, packets, flows]
SELECT
  tgw_attachment_id AS from_attachment,
  tgw_pair_attachment_id AS to_attachment,
  sum(bytes) AS bytes,
  sum(packets) AS packets,
  count(*) AS flows
FROM {{ table }}
WHERE {{ in_window() }}
  AND log_status = 'OK'
  AND flow_direction = 'ingress'
  AND tgw_pair_attachment_id <> '-'
GROUP BY tgw_attachment_id, tgw_pair_attachment_id
ORDER BY bytes DESC, packets DESC, from_attachment, to_attachment
LIMIT {{ limit }}
