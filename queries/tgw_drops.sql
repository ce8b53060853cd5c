-- name: tgw_drops
-- title: Transit gateway drops by reason and attachment
-- description: |
--   Packets a transit gateway dropped, per attachment where the traffic entered, split by reason:
--   no route to the destination, a blackhole route, larger than the MTU (8500 bytes between VPCs,
--   1500 towards a VPN), time-to-live expired. flows counts the records with any drop. Needs a
--   transit gateway flow log (version 6 fields).
-- category: troubleshooting
-- fields: [tgw_id, tgw_attachment_id, packets_lost_no_route, packets_lost_blackhole, packets_lost_mtu_exceeded, packets_lost_ttl_expired, start, log_status]
-- params:
--   limit: {type: int, default: 50, min: 1, max: 10000, help: how many attachments to return}
-- columns: [tgw_id, tgw_attachment_id, no_route, blackhole, mtu_exceeded, ttl_expired, packets_lost, flows]
SELECT
  tgw_id,
  tgw_attachment_id,
  sum(coalesce(packets_lost_no_route, 0)) AS no_route,
  sum(coalesce(packets_lost_blackhole, 0)) AS blackhole,
  sum(coalesce(packets_lost_mtu_exceeded, 0)) AS mtu_exceeded,
  sum(coalesce(packets_lost_ttl_expired, 0)) AS ttl_expired,
  sum(
    coalesce(packets_lost_no_route, 0) + coalesce(packets_lost_blackhole, 0)
    + coalesce(packets_lost_mtu_exceeded, 0) + coalesce(packets_lost_ttl_expired, 0)
  ) AS packets_lost,
  count(*) AS flows
FROM {{ table }}
WHERE {{ in_window() }}
  AND log_status = 'OK'
  AND (
    packets_lost_no_route > 0 OR packets_lost_blackhole > 0
    OR packets_lost_mtu_exceeded > 0 OR packets_lost_ttl_expired > 0
  )
GROUP BY tgw_id, tgw_attachment_id
ORDER BY packets_lost DESC, flows DESC, tgw_id, tgw_attachment_id
LIMIT {{ limit }}
