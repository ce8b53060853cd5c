{#-
  Parquet compaction on Athena, first batch: creates the Parquet table and writes its first partitions.
  Data columns take their Parquet types (protocol INT32); partition columns come last, as CTAS wants.
-#}
CREATE TABLE {{ target }}
WITH (
  format = 'PARQUET',
  write_compression = {{ compression }},
  external_location = {{ location }},
  partitioned_by = ARRAY[{% for name in partitioned_by %}{{ name }}{% if not loop.last %}, {% endif %}{% endfor %}]
) AS
{% include "compact_select.sql" %}
