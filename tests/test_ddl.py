"""The DDL for every cell of the matrix, checked by parsing it with sqlglot and reading the tree."""

import itertools
import re
from datetime import date

import pytest
import sqlglot
from sqlglot import exp

from flowsql.tables import ddl, fields
from flowsql.tables.catalog import table_input
from flowsql.tables.spec import TableSpec

FULL = " ".join("${" + f.name + "}" for f in fields.CATALOGUE)
V2 = " ".join("${" + n + "}" for n in fields.DEFAULT_FORMAT)
MATRIX = list(
    itertools.product(
        ["aws", "hive"], [False, True], ["text", "parquet"], [V2, FULL], ["projection", "partitions"]
    )
)


def make_spec(layout, hourly, file_format, log_format, partitioning):
    return TableSpec(
        "s3://flow-bucket/logs",
        layout=layout,
        hourly=hourly,
        file_format=file_format,
        fields=fields.parse_log_format(log_format),
        accounts=("111122223333", "444455556666"),
        regions=("us-east-1", "eu-west-1"),
        partitioning=partitioning,
        start_date=date(2023, 6, 1),
    )


def parsed_table(spec):
    create = ddl.statements(spec)[1].sql
    tree = sqlglot.parse_one(create, read="athena")
    assert isinstance(tree, exp.Create) and tree.kind == "TABLE"
    schema = tree.this
    columns = [(c.name, c.args["kind"].sql("hive").lower()) for c in schema.expressions]
    props = {}
    partition_cols = []
    location = None
    stored = None
    row_format = None
    for prop in tree.args["properties"].expressions:
        if isinstance(prop, exp.PartitionedByProperty):
            partition_cols = [(c.name, c.args["kind"].sql("hive").lower()) for c in prop.this.expressions]
        elif isinstance(prop, exp.LocationProperty):
            location = prop.this.this
        elif isinstance(prop, exp.FileFormatProperty):
            stored = prop.this.name.upper()
        elif isinstance(prop, exp.RowFormatDelimitedProperty):
            row_format = prop.args["fields"].this
        elif type(prop) is exp.Property:
            props[prop.name] = prop.args["value"].this
    return {
        "columns": columns,
        "partitions": partition_cols,
        "location": location,
        "stored": stored,
        "delimiter": row_format,
        "props": props,
        "external": bool(tree.args["properties"].find(exp.ExternalProperty)),
    }


@pytest.mark.parametrize(("layout", "hourly", "file_format", "log_format", "partitioning"), MATRIX)
def test_create_table_matrix(layout, hourly, file_format, log_format, partitioning):
    spec = make_spec(layout, hourly, file_format, log_format, partitioning)
    table = parsed_table(spec)
    names = [n.strip("${}") for n in log_format.split()]
    assert [c for c, _ in table["columns"]] == [n.replace("-", "_") for n in names]
    want_type = {
        f.column: (f.parquet_type if file_format == "parquet" else f.text_type) for f in fields.CATALOGUE
    }
    assert [t for _, t in table["columns"]] == [want_type[c] for c, _ in table["columns"]]
    if file_format == "parquet":
        assert dict(table["columns"])["protocol"] == "int"
        assert table["stored"] == "PARQUET" and table["delimiter"] is None
        assert "skip.header.line.count" not in table["props"]
    else:
        assert dict(table["columns"])["protocol"] == "bigint"
        assert table["delimiter"] == " "
        assert table["props"]["skip.header.line.count"] == "1"
    expected_parts = ["account_partition", "region_partition", "date_partition"] + (
        ["hour_partition"] if hourly else []
    )
    assert table["partitions"] == [(p, "string") for p in expected_parts]
    assert not set(expected_parts) & {c for c, _ in table["columns"]}
    assert table["external"]
    assert table["location"] == "s3://flow-bucket/logs/AWSLogs/"
    props = table["props"]
    assert TableSpec.from_json(props["flowsql.spec"]) == spec
    if partitioning == "partitions":
        assert not any(k.startswith("projection.") for k in props)
        assert "storage.location.template" not in props
        return
    assert props["projection.enabled"] == "true"
    assert props["projection.account_partition.type"] == "enum"
    assert props["projection.account_partition.values"] == "111122223333,444455556666"
    assert props["projection.region_partition.values"] == "us-east-1,eu-west-1"
    assert props["projection.date_partition.type"] == "date"
    assert props["projection.date_partition.range"].endswith(",NOW")
    assert props["projection.date_partition.interval.unit"] == "DAYS"
    if hourly:
        assert props["projection.hour_partition.type"] == "integer"
        assert props["projection.hour_partition.range"] == "0,23"
        assert props["projection.hour_partition.digits"] == "2"
    else:
        assert not any(k.startswith("projection.hour_partition") for k in props)
    template = props["storage.location.template"]
    assert re.findall(r"\$\{(\w+)\}", template) == expected_parts
    # The template, filled the way Athena fills it, walks exactly the layout's prefixes.
    java = props["projection.date_partition.format"]
    day = date(2024, 2, 29)
    filled = template.replace("${account_partition}", "111122223333").replace(
        "${region_partition}", "us-east-1"
    )
    filled = filled.replace("${date_partition}", java_format(java, day)).replace("${hour_partition}", "07")
    expected_path = "s3://flow-bucket/logs/AWSLogs/" + (
        "111122223333/vpcflowlogs/us-east-1/2024/02/29/"
        if layout == "aws"
        else "aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=us-east-1/year=2024/month=02/day=29/"
    )
    if hourly:
        expected_path += "07/" if layout == "aws" else "hour=07/"
    assert filled == expected_path
    start = props["projection.date_partition.range"].split(",")[0]
    assert start == java_format(java, date(2023, 6, 1))


def java_format(pattern: str, day: date) -> str:
    """A tiny DateTimeFormatter: quoted literals, yyyy, MM, dd (independent of flowsql's strftime)."""
    out, i = [], 0
    while i < len(pattern):
        if pattern[i] == "'":
            j = pattern.index("'", i + 1)
            out.append(pattern[i + 1 : j])
            i = j + 1
        elif pattern.startswith("yyyy", i):
            out.append(f"{day.year:04d}")
            i += 4
        elif pattern.startswith("MM", i):
            out.append(f"{day.month:02d}")
            i += 2
        elif pattern.startswith("dd", i):
            out.append(f"{day.day:02d}")
            i += 2
        else:
            out.append(pattern[i])
            i += 1
    return "".join(out)


@pytest.mark.parametrize(("layout", "hourly", "file_format", "log_format", "partitioning"), MATRIX[::3])
def test_glue_table_input_describes_the_same_table(layout, hourly, file_format, log_format, partitioning):
    spec = make_spec(layout, hourly, file_format, log_format, partitioning)
    table = parsed_table(spec)
    glue = table_input(spec)
    sd = glue["StorageDescriptor"]
    assert [(c["Name"], c["Type"]) for c in sd["Columns"]] == table["columns"]
    assert [(c["Name"], c["Type"]) for c in glue["PartitionKeys"]] == table["partitions"]
    assert sd["Location"] == table["location"]
    for key, value in table["props"].items():
        assert glue["Parameters"][key] == value
    if file_format == "text":
        assert sd["SerdeInfo"]["Parameters"]["field.delim"] == table["delimiter"]
        assert "LazySimpleSerDe" in sd["SerdeInfo"]["SerializationLibrary"]
    else:
        assert "Parquet" in sd["SerdeInfo"]["SerializationLibrary"]


def test_reserved_words_quoted_in_ddl():
    spec = make_spec("aws", False, "text", FULL, "projection")
    create = ddl.statements(spec)[1].sql
    assert "`end` bigint" in create and "`start` bigint" in create


def test_projection_needs_accounts():
    from flowsql.errors import ConfigError

    with pytest.raises(ConfigError, match="needs the accounts and regions"):
        ddl.statements(TableSpec("s3://flow-bucket/"))


def test_add_partitions_in_batches_parse_and_cover_the_range():
    spec = make_spec("hive", True, "text", V2, "partitions")
    statements = ddl.add_partitions(spec, date(2024, 5, 1), date(2024, 5, 2))
    total = 2 * 2 * 2 * 24
    assert len(statements) == -(-total // ddl.PARTITIONS_PER_STATEMENT)
    seen = []
    for statement in statements:
        clauses = re.findall(r"PARTITION \((.*?)\) LOCATION '([^']*)'", statement.sql)
        assert len(clauses) <= ddl.PARTITIONS_PER_STATEMENT
        for clause, location in clauses:
            single = f"ALTER TABLE `vpc_flow_logs`.`flow_logs` ADD IF NOT EXISTS PARTITION ({clause}) LOCATION '{location}'"
            tree = sqlglot.parse_one(single, read="athena")
            values = {e.this.name: e.expression.this for e in tree.find_all(exp.EQ)}
            seen.append((values["date_partition"], values["hour_partition"], location))
    assert len(seen) == total == len(set(seen))
    assert ("year=2024/month=05/day=02", "23", seen[-1][2]) == seen[-1]
    assert seen[-1][2].endswith("aws-region=eu-west-1/year=2024/month=05/day=02/hour=23/")
