{#- The Glue database that holds flow-log tables. -#}
CREATE DATABASE IF NOT EXISTS `{{ database }}`
  COMMENT 'VPC Flow Logs tables managed by flowsql'
