-- name: top_subnets
-- title: Subnets by bytes
-- description: |
--   Subnets ranked by the bytes recorded on their interfaces, with the accepted and rejected share
--   and the number of interfaces. Where the traffic (and the data-transfer bill) concentrates.
-- category: cost/usage
-- fields: [vpc_id, subnet_id, interface_id, packets, bytes, start, action, log_status]
-- params:
--   limit: {type: int, default: 20, min: 1, max: 10000, help: how many subnets to return}
-- columns: [subnet_id, vpc_id, bytes, accepted_bytes, rejected_bytes, packets, flows, interfaces]
SELECT
  subnet_id,
  vpc_id,
  sum(bytes) AS bytes,
  sum(CASE WHEN action = 'ACCEPT' THEN bytes ELSE 0 END) AS accepted_bytes,
  sum(CASE WHEN action = 'REJECT' THEN bytes ELSE 0 END) AS rejected_bytes,
  sum(packets) AS packets,
  count(*) AS flows,
  count(DISTINCT interface_id) AS interfaces
FROM {{ table }}
WHERE {{ in_window() }}
  AND log_status = 'OK'
  AND subnet_id <> '-'
GROUP BY subnet_id, vpc_id
ORDER BY bytes DESC, packets DESC, subnet_id, vpc_id
LIMIT {{ limit }}
