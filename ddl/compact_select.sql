{#- The rows of one batch of partitions: IN lists on every partition column prune projection. -#}
SELECT
{% for column in columns %}
  {{ column }}{% if not loop.last %},{% endif +%}
{% endfor %}
FROM {{ source }}
WHERE {{ date_column }} IN {{ days }}
  AND {{ account_column }} IN {{ accounts }}
  AND {{ region_column }} IN {{ regions }}
