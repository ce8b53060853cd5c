-- name: top_instances
-- title: EC2 instances by bytes
-- description: |
--   Instances ranked by the bytes recorded on their interfaces (both directions), with the number of
--   their interfaces. Requester-managed interfaces (NAT gateways, load balancers,
--   transit gateway attachments) have no instance and are left out: see top_subnets for them.
-- category: cost/usage
-- fields: [instance_id, interface_id, packets, bytes, start, log_status]
-- params:
--   limit: {type: int, default: 20, min: 1, max: 10000, help: how many instances to return}
-- columns: [instance_id, bytes, packets, flows, interfaces]
SELECT
  instance_id,
  sum(bytes) AS bytes,
  sum(packets) AS packets,
  count(*) AS flows,
  count(DISTINCT interface_id) AS interfaces
FROM {{ table }}
WHERE {{ in_window() }}
  AND log_status = 'OK'
  AND instance_id <> '-'
GROUP BY instance_id
ORDER BY bytes DESC, packets DESC, instance_id
LIMIT {{ limit }}
