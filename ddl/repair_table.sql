{#- Loads Hive-compatible partitions found under the table's location. -#}
MSCK REPAIR TABLE `{{ database }}`.`{{ table }}`
