-- name: ecs_service_traffic
-- title: Traffic per ECS cluster and service
-- description: |
--   Traffic recorded on interfaces of ECS tasks (flow log version 7 fields), per cluster and
--   service, with the number of distinct tasks and the rejected flows. Which service is
--   chatty, and which is being refused. Tasks started outside a service show an empty service.
-- category: cost/usage
-- fields: [packets, bytes, start, action, log_status, ecs_cluster_name, ecs_service_name, ecs_task_id]
-- params:
--   service: {type: text, default: null, example: web, help: only this ECS service name; all when omitted}
--   limit: {type: int, default: 100, min: 1, max: 10000, help: how many rows to return}
-- columns: [cluster, service, tasks, flows, rejected, packets, bytes]
WITH flows AS (
  SELECT
    ecs_cluster_name AS cluster,
    CASE WHEN ecs_service_name <> '-' THEN ecs_service_name ELSE '' END AS service,
    ecs_task_id,
    action,
    packets,
    bytes
  FROM {{ table }}
  WHERE {{ in_window() }}
    AND log_status = 'OK'
    AND ecs_cluster_name <> '-'
    {% if service is not none %}
    AND ecs_service_name = {{ service }}
    {% endif %}
)
SELECT
  cluster,
  service,
  count(DISTINCT ecs_task_id) AS tasks,
  count(*) AS flows,
  count_if(action = 'REJECT') AS rejected,
  sum(packets) AS packets,
  sum(bytes) AS bytes
FROM flows
GROUP BY cluster, service
ORDER BY bytes DESC, flows DESC, cluster, service
LIMIT {{ limit }}
