"""DDL for a TableSpec: the table's properties, the rendered statements, each checked by sqlglot."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flowsql.errors import ConfigError, FlowsqlError
from flowsql.investigations.templates import render_file, trusted
from flowsql.tables import spec as tablemod
from flowsql.tables.fields import quote_ddl
from flowsql.tables.spec import FileFormat, Partitioning, TableSpec

SPEC_PROPERTY = "flowsql.spec"

# Athena accepts at most 100 partitions in one ALTER TABLE ADD PARTITION statement.
PARTITIONS_PER_STATEMENT = 100


@dataclass(frozen=True)
class Statement:
    """One rendered DDL statement and what it does, for printing and running."""

    purpose: str
    sql: str


def projection_properties(spec: TableSpec) -> dict[str, str]:
    if not spec.accounts or not spec.regions:
        raise ConfigError(
            "partition projection needs the accounts and regions the location holds",
            hint="pass --accounts and --regions, or let `flowsql init` discover them by listing the location",
        )
    props = {
        "projection.enabled": "true",
        f"projection.{tablemod.ACCOUNT}.type": "enum",
        f"projection.{tablemod.ACCOUNT}.values": ",".join(spec.accounts),
        f"projection.{tablemod.REGION}.type": "enum",
        f"projection.{tablemod.REGION}.values": ",".join(spec.regions),
        f"projection.{tablemod.DATE}.type": "date",
        f"projection.{tablemod.DATE}.format": spec.projection_date_format,
        f"projection.{tablemod.DATE}.range": (f"{spec.start_date.strftime(spec.date_format)},NOW"),
        f"projection.{tablemod.DATE}.interval": "1",
        f"projection.{tablemod.DATE}.interval.unit": "DAYS",
    }
    if spec.hourly:
        props |= {
            f"projection.{tablemod.HOUR}.type": "integer",
            f"projection.{tablemod.HOUR}.range": "0,23",
            f"projection.{tablemod.HOUR}.digits": "2",
        }
    props["storage.location.template"] = spec.location_template()
    return props


def table_properties(spec: TableSpec) -> dict[str, str]:
    """TBLPROPERTIES / Glue Parameters: header skip, projection, and the spec itself."""
    props: dict[str, str] = {}
    if spec.file_format is FileFormat.TEXT:
        props["skip.header.line.count"] = "1"
    else:
        props["parquet.compression"] = "GZIP"
    if spec.partitioning is Partitioning.PROJECTION:
        props |= projection_properties(spec)
    props[SPEC_PROPERTY] = spec.to_json()
    return props


def hive_string(value: str) -> Any:
    """A Hive DDL string literal (trusted). Hive escapes with backslashes and joins adjacent
    literals, so the query-side rule of doubling quotes would silently drop them here."""
    return trusted("'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'")


def _names(spec: TableSpec) -> dict[str, Any]:
    return {"database": trusted(spec.database), "table": trusted(spec.table)}


def create_database(spec: TableSpec) -> Statement:
    return Statement(f"create database {spec.database}", render_file("create_database.sql", _names(spec)))


def create_table(spec: TableSpec) -> Statement:
    context = _names(spec) | {
        "columns": [(trusted(quote_ddl(c)), trusted(t)) for c, t in spec.column_types().items()],
        "partition_columns": [trusted(quote_ddl(c)) for c in spec.partition_columns],
        "file_format": spec.file_format.value,
        "location": hive_string(spec.table_location),
        "properties": [(hive_string(k), hive_string(v)) for k, v in sorted(table_properties(spec).items())],
    }
    return Statement(f"create table {spec.database}.{spec.table}", render_file("create_table.sql", context))


def drop_table(spec: TableSpec) -> Statement:
    return Statement(f"drop table {spec.database}.{spec.table}", render_file("drop_table.sql", _names(spec)))


def repair_table(spec: TableSpec) -> Statement:
    return Statement(
        f"load Hive partitions of {spec.database}.{spec.table}",
        render_file("repair_table.sql", _names(spec)),
    )


def add_partitions(spec: TableSpec, first: date, last: date) -> list[Statement]:
    """ALTER TABLE … ADD IF NOT EXISTS PARTITION statements for a date range, in batches."""
    if last < first:
        raise ConfigError(f"--end {last} is before --start {first}")
    batch: list[tuple[dict[str, Any], str]] = []
    statements: list[Statement] = []

    def flush() -> None:
        # sqlglot parses an ALTER with one PARTITION clause only: check the batch's first alone.
        check(render_file("add_partitions.sql", _names(spec) | {"partitions": batch[:1]}))
        statements.append(
            Statement(
                f"add {len(batch)} partitions to {spec.database}.{spec.table}",
                render_file("add_partitions.sql", _names(spec) | {"partitions": batch}),
            )
        )

    for values, location in spec.partitions_for(first, last):
        batch.append(
            (
                {trusted(k): hive_string(v) for k, v in values.items()},
                hive_string(location),
            )
        )
        if len(batch) == PARTITIONS_PER_STATEMENT:
            flush()
            batch = []
    if batch:
        flush()
    return statements


def statements(spec: TableSpec) -> list[Statement]:
    """What `flowsql ddl` prints and `flowsql init --via athena` runs, each parsed by sqlglot."""
    out = [create_database(spec), create_table(spec)]
    for statement in out:
        check(statement.sql)
    return out


def check(sql: str) -> Any:
    """Parse one DDL statement with sqlglot's athena dialect; an opaque Command is not accepted."""
    import sqlglot
    from sqlglot import exp

    try:
        trees = [t for t in sqlglot.parse(sql, read="athena") if t is not None]
    except sqlglot.errors.ParseError as exc:
        raise FlowsqlError(f"internal error: generated DDL does not parse: {exc.errors[0]}") from None
    if len(trees) != 1:
        raise FlowsqlError(f"internal error: expected one DDL statement, got {len(trees)}")
    tree = trees[0]
    if isinstance(tree, exp.Command) and not sql.lstrip().upper().startswith("MSCK"):
        raise FlowsqlError("internal error: generated DDL parsed only as an opaque command")
    return tree


def script(items: Iterable[Statement]) -> str:
    """Statements as a script a person can paste into the Athena console, one at a time."""
    return "\n\n".join(f"-- {s.purpose}\n{s.sql};" for s in items)
