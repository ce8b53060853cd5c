-- name: traffic_by_az
-- title: Traffic per Region and Availability Zone
-- description: |
--   Bytes, packets and flows per Region and Availability Zone ID of the recording interfaces, with
--   the number of interfaces: where traffic concentrates, and a first look at cross-AZ data
--   transfer (which is billed). Outposts, Local Zones and Wavelength show their sublocation.
-- category: cost/usage
-- fields: [region, az_id, sublocation_type, interface_id, packets, bytes, start, log_status]
-- params: {}
-- columns: [region, az_id, sublocation_type, flows, packets, bytes, interfaces]
SELECT
  region,
  az_id,
  CASE WHEN sublocation_type <> '-' THEN sublocation_type ELSE '' END AS sublocation_type,
  count(*) AS flows,
  sum(packets) AS packets,
  sum(bytes) AS bytes,
  count(DISTINCT interface_id) AS interfaces
FROM {{ table }}
WHERE {{ in_window() }}
  AND log_status = 'OK'
GROUP BY region, az_id, CASE WHEN sublocation_type <> '-' THEN sublocation_type ELSE '' END
ORDER BY bytes DESC, region, az_id, sublocation_type
