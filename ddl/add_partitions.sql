{#- Classic Glue partitions, one batch; Athena accepts many PARTITION clauses in one statement. -#}
ALTER TABLE `{{ database }}`.`{{ table }}` ADD IF NOT EXISTS
{% for values, location in partitions %}
  PARTITION ({% for key, value in values.items() %}{{ key }} = {{ value }}{% if not loop.last %}, {% endif %}{% endfor %}) LOCATION {{ location }}
{% endfor %}
