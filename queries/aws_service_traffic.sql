-- name: aws_service_traffic
-- title: Traffic with AWS services (S3, DynamoDB, EC2…)
-- description: |
--   Traffic whose packet-level source or destination belongs to an AWS service (pkt-src-aws-service,
--   pkt-dst-aws-service), per service, direction and address on your side. "to" means your address
--   sent to the service, "from" that it received from it. Large S3 or DynamoDB volumes that do not
--   go through a gateway endpoint cost NAT gateway processing: compare with egress_by_traffic_path.
-- category: cost/usage
-- fields: [pkt_srcaddr, pkt_dstaddr, packets, bytes, start, pkt_src_aws_service, pkt_dst_aws_service, log_status]
-- params:
--   service: {type: text, default: null, example: S3, help: "only this service, e.g. S3 or DYNAMODB (case does not matter); all when omitted"}
--   limit: {type: int, default: 100, min: 1, max: 10000, help: how many rows to return}
-- columns: [service, direction, address, flows, packets, bytes]
WITH flows AS (
  SELECT
    CASE WHEN pkt_dst_aws_service <> '-' THEN pkt_dst_aws_service ELSE pkt_src_aws_service END AS service,
    CASE WHEN pkt_dst_aws_service <> '-' THEN 'to' ELSE 'from' END AS direction,
    CASE WHEN pkt_dst_aws_service <> '-' THEN pkt_srcaddr ELSE pkt_dstaddr END AS address,
    packets,
    bytes
  FROM {{ table }}
  WHERE {{ in_window() }}
    AND log_status = 'OK'
    AND (pkt_src_aws_service <> '-' OR pkt_dst_aws_service <> '-')
    {% if service is not none %}
    AND (
      upper(pkt_src_aws_service) = upper({{ service }})
      OR upper(pkt_dst_aws_service) = upper({{ service }})
    )
    {% endif %}
)
SELECT
  service,
  direction,
  address,
  count(*) AS flows,
  sum(packets) AS packets,
  sum(bytes) AS bytes
FROM flows
GROUP BY service, direction, address
ORDER BY bytes DESC, flows DESC, service, direction, address
LIMIT {{ limit }}
