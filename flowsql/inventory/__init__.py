"""Context for flow records: an EC2 inventory snapshot (interfaces, security groups and their rules,
subnets, VPCs, NAT gateways) and AWS's published IP ranges, stored as Parquet tables both engines read.

    tables     the tables, their columns and Athena types (what the validator knows)
    snapshot   Snapshot: the rows of every table and the time they were taken
    ec2        a snapshot taken from EC2 with boto3 paginators
    ip_ranges  ip-ranges.json from a file or AWS's URL, as rows
    store      a local folder of Parquet files; store_athena: Parquet on S3 with Glue tables
"""
