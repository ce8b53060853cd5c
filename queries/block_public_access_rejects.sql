-- name: block_public_access_rejects
-- title: Traffic rejected by VPC Block Public Access
-- description: |
--   Records rejected because of VPC Block Public Access (reject-reason BPA, flow log version 8
--   fields), per interface, source, destination, port and protocol. When BPA blocks internet traffic
--   a workload needs, these rows say which interface and peer: add a BPA exclusion for that VPC or
--   subnet, or route the traffic another way.
-- category: troubleshooting
-- fields: [interface_id, srcaddr, dstaddr, dstport, protocol, packets, bytes, start, end, action, log_status, reject_reason]
-- params:
--   limit: {type: int, default: 100, min: 1, max: 10000, help: how many rows to return}
-- columns: [interface_id, srcaddr, dstaddr, dstport, protocol, flows, packets, bytes, first_seen, last_seen]
WITH flows AS (
  SELECT interface_id, srcaddr, dstaddr, dstport, protocol AS protocol_number, packets, bytes, start, "end"
  FROM {{ table }}
  WHERE {{ in_window() }}
    AND log_status = 'OK'
    AND action = 'REJECT'
    AND reject_reason = 'BPA'
)
SELECT
  interface_id,
  srcaddr,
  dstaddr,
  dstport,
  {{ protocol_name("protocol_number") }} AS protocol,
  count(*) AS flows,
  sum(packets) AS packets,
  sum(bytes) AS bytes,
  from_unixtime(min(start)) AS first_seen,
  from_unixtime(max("end")) AS last_seen
FROM flows
GROUP BY interface_id, srcaddr, dstaddr, dstport, protocol_number
ORDER BY flows DESC, bytes DESC, interface_id, srcaddr, dstaddr, dstport, protocol_number
LIMIT {{ limit }}
