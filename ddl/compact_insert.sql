{#- Parquet compaction on Athena, every later batch: at most 100 partitions per statement. -#}
INSERT INTO {{ target }}
{% include "compact_select.sql" %}
