-- name: traffic_by_account
-- title: Traffic per account
-- description: |
--   Flows, packets and bytes per AWS account owning the recording interfaces, with the rejected
--   flows and the number of interfaces: where a multi-account bucket's traffic (and cost) comes
--   from. top_interfaces breaks one account down.
-- category: cost/usage
-- fields: [account_id, interface_id, packets, bytes, start, action, log_status]
-- params: {}
-- columns: [account_id, flows, packets, bytes, rejected_flows, interfaces]
SELECT
  account_id,
  count(*) AS flows,
  sum(packets) AS packets,
  sum(bytes) AS bytes,
  count_if(action = 'REJECT') AS rejected_flows,
  count(DISTINCT interface_id) AS interfaces
FROM {{ table }}
WHERE {{ in_window() }}
  AND log_status = 'OK'
GROUP BY account_id
ORDER BY bytes DESC, flows DESC, account_id
