{#-
  One flow-log table. Text tables are positional (columns in the log format's order) and skip the
  header line; Parquet tables read columns by name. Partition columns never share a data column's name.
-#}
CREATE EXTERNAL TABLE IF NOT EXISTS `{{ database }}`.`{{ table }}` (
{% for name, type in columns %}
  {{ name }} {{ type }}{% if not loop.last %},{% endif +%}
{% endfor %}
)
PARTITIONED BY (
{% for name in partition_columns %}
  {{ name }} string{% if not loop.last %},{% endif +%}
{% endfor %}
)
{% if file_format == "parquet" %}
STORED AS PARQUET
{% else %}
ROW FORMAT DELIMITED
  FIELDS TERMINATED BY ' '
STORED AS TEXTFILE
{% endif %}
LOCATION {{ location }}
TBLPROPERTIES (
{% for key, value in properties %}
  {{ key }} = {{ value }}{% if not loop.last %},{% endif +%}
{% endfor %}
)
