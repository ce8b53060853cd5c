-- name: top_interfaces
-- title: Network interfaces by bytes
-- description: |
--   Network interfaces ranked by the bytes they recorded, with flows, rejected flows and distinct
--   peers, for all accounts or one. Covers what top_instances cannot: NAT gateways, load
--   balancers, Lambda and endpoint interfaces.
-- category: cost/usage
-- fields: [account_id, interface_id, srcaddr, dstaddr, packets, bytes, start, action, log_status]
-- params:
--   account: {type: account, default: null, example: "123456789012", help: only this account's interfaces; all accounts when omitted}
--   limit: {type: int, default: 20, min: 1, max: 10000, help: how many interfaces to return}
-- columns: [interface_id, account_id, flows, packets, bytes, rejected_flows, sources, destinations]
SELECT
  interface_id,
  account_id,
  count(*) AS flows,
  sum(packets) AS packets,
  sum(bytes) AS bytes,
  count_if(action = 'REJECT') AS rejected_flows,
  count(DISTINCT srcaddr) AS sources,
  count(DISTINCT dstaddr) AS destinations
FROM {{ table }}
WHERE {{ in_window() }}
  AND log_status = 'OK'
  {% if account is not none %}
  AND account_id = {{ account }}
  {% endif %}
GROUP BY interface_id, account_id
ORDER BY bytes DESC, flows DESC, interface_id, account_id
LIMIT {{ limit }}
