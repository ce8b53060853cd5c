"""Parquet compaction on Athena: a CTAS that creates the Parquet table, then INSERT INTO statements of
at most 100 partitions each, every statement validated before it is sent."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from flowsql.cost.compact import (
    ATHENA_PARTITIONS_PER_STATEMENT,
    COMPRESSIONS,
    DEFAULT_COMPRESSION,
    DUCKDB_TYPES,
    parquet_target,
)
from flowsql.errors import ConfigError, EngineError, LocationError
from flowsql.tables import fields as flowfields
from flowsql.tables.spec import DATE, Partitioning, TableSpec


@dataclass(frozen=True)
class AthenaBatch:
    """One CTAS or INSERT INTO statement and the partitions it may write (at most 100)."""

    sql: str
    kind: str  # "ctas" or "insert"
    days: tuple[date, ...]
    accounts: tuple[str, ...]
    regions: tuple[str, ...]

    @property
    def partitions(self) -> int:
        return len(self.days) * len(self.accounts) * len(self.regions)


def athena_batches(
    spec: TableSpec,
    dest: str,
    first: date,
    last: date,
    *,
    table: str | None = None,
    compression: str = DEFAULT_COMPRESSION,
) -> tuple[TableSpec, list[AthenaBatch]]:
    """The Parquet table's spec and the validated statements that fill it: a CTAS for the first batch
    (creating the table), INSERT INTO for the rest; every batch a cross product of days, accounts and
    regions (and every hour) of at most 100 partitions, selected by IN lists that prune projection."""
    if not dest.startswith("s3://"):
        raise LocationError(f"Athena writes Parquet to S3: --to must be an s3:// URI, got {dest}")
    if compression not in COMPRESSIONS:
        raise ConfigError(f"--compression must be one of {'|'.join(COMPRESSIONS)}, got {compression!r}")
    if not spec.accounts or not spec.regions:
        raise ConfigError(
            "compacting on Athena needs the accounts and regions to batch the partitions",
            hint="pass --accounts and --regions",
        )
    if last < first:
        raise ConfigError(f"--end {last} is before --start {first}")
    target = replace(
        parquet_target(spec, dest, table=table or f"{spec.table}_parquet"),
        layout=spec.layout,  # partition values are copied as they are, so predicates keep working
        partitioning=Partitioning.PARTITIONS,
    )
    if (target.database, target.table) == (spec.database, spec.table):
        raise ConfigError("the Parquet table needs a name other than the text table's (--target-table)")
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    per_day = 24 if spec.hourly else 1
    batches = []
    for chunk_days, chunk_accounts, chunk_regions in _cross_batches(
        days, spec.accounts, spec.regions, per_day
    ):
        kind = "ctas" if not batches else "insert"
        sql = _athena_statement(spec, target, kind, chunk_days, chunk_accounts, chunk_regions, compression)
        batches.append(AthenaBatch(sql, kind, tuple(chunk_days), tuple(chunk_accounts), tuple(chunk_regions)))
    return target, batches


def _cross_batches(
    days: Sequence[date], accounts: Sequence[str], regions: Sequence[str], per_day: int
) -> Iterator[tuple[list[date], list[str], list[str]]]:
    limit = ATHENA_PARTITIONS_PER_STATEMENT
    if len(accounts) * len(regions) * per_day <= limit:
        step = limit // (len(accounts) * len(regions) * per_day)
        for i in range(0, len(days), step):
            yield list(days[i : i + step]), list(accounts), list(regions)
    elif len(regions) * per_day <= limit:
        step = limit // (len(regions) * per_day)
        for day in days:
            for i in range(0, len(accounts), step):
                yield [day], list(accounts[i : i + step]), list(regions)
    else:
        step = limit // per_day
        for day in days:
            for account in accounts:
                for i in range(0, len(regions), step):
                    yield [day], [account], list(regions[i : i + step])


def _athena_statement(
    spec: TableSpec,
    target: TableSpec,
    kind: str,
    days: Sequence[date],
    accounts: Sequence[str],
    regions: Sequence[str],
    compression: str,
) -> str:
    from flowsql.investigations.templates import render_file, trusted

    columns = []
    for f in spec.fields:
        name = flowfields.quote_query(f.column)
        if f.text_type != f.parquet_type:
            columns.append(trusted(f"CAST({name} AS {DUCKDB_TYPES[f.parquet_type]}) AS {name}"))
        else:
            columns.append(trusted(name))
    columns += [trusted(c) for c in spec.partition_columns]
    context = {
        "source": trusted(spec.qualified_name),
        "target": trusted(target.qualified_name),
        "columns": columns,
        "days": [d.strftime(spec.date_format) for d in days],
        "accounts": list(accounts),
        "regions": list(regions),
        "date_column": trusted(DATE),
        "account_column": trusted("account_partition"),
        "region_column": trusted("region_partition"),
        "location": target.table_location,
        "compression": compression.upper(),
        "partitioned_by": list(spec.partition_columns),
    }
    sql = render_file("compact_ctas.sql" if kind == "ctas" else "compact_insert.sql", context)
    return check_athena_statement(sql, spec, kind)


def check_athena_statement(sql: str, spec: TableSpec, kind: str) -> str:
    """Parse a CTAS/INSERT with sqlglot's athena dialect, check its SELECT against the text table's
    columns, and return the regenerated statement (what Athena receives)."""
    import sqlglot
    from sqlglot import exp

    from flowsql.investigations import validate

    try:
        trees = [t for t in sqlglot.parse(sql, read="athena") if t is not None]
    except sqlglot.errors.ParseError as exc:
        raise EngineError(f"internal error: the {kind} statement does not parse: {exc.errors[0]}") from None
    wanted = exp.Create if kind == "ctas" else exp.Insert
    if len(trees) != 1 or not isinstance(trees[0], wanted):
        raise EngineError(f"internal error: the {kind} statement parsed as {type(trees[0]).__name__}")
    tree = trees[0]
    select = tree.expression
    if not isinstance(select, exp.Select):
        raise EngineError(f"internal error: the {kind} statement has no SELECT")
    validate.validate_query(select.sql(dialect="athena"), spec, require_window=False)
    return tree.sql(dialect="athena", pretty=True)


def compact_athena(
    spec: TableSpec,
    dest: str,
    settings: Any,
    first: date,
    last: date,
    *,
    table: str | None = None,
    compression: str = DEFAULT_COMPRESSION,
    engine: Any = None,
    on_statement: Callable[[AthenaBatch, Any], None] | None = None,
    on_start: Callable[[AthenaBatch, int, int], None] | None = None,
) -> tuple[TableSpec, list[tuple[AthenaBatch, Any]]]:
    """Run the batches on Athena, in order; refuses a target table or location that is not empty.
    on_start gets each batch before it is sent, with its number (from 1) and how many there are;
    on_statement each batch and its result after."""
    target, batches = athena_batches(spec, dest, first, last, table=table, compression=compression)
    _check_target_free(target, settings)
    if engine is None:
        from flowsql.engines.athena import AthenaEngine

        engine = AthenaEngine(spec, settings)
    done = []
    for number, batch in enumerate(batches, 1):
        if on_start is not None:
            on_start(batch, number, len(batches))
        rows = engine.execute(batch.sql)
        done.append((batch, rows))
        if on_statement is not None:
            on_statement(batch, rows)
    return target, done


def _check_target_free(target: TableSpec, settings: Any) -> None:
    """CTAS fails on a non-empty location, and would clash with an existing table: say so first."""
    import botocore.exceptions

    from flowsql import aws
    from flowsql.tables.catalog import GlueCatalog

    if GlueCatalog(settings).get_table(target.database, target.table) is not None:
        raise ConfigError(
            f"table {target.database}.{target.table} already exists",
            hint="drop it first, or name another with --target-table",
        )
    bucket, prefix = aws.split_s3(target.table_location)
    try:
        listing = aws.client("s3", settings).list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
    except botocore.exceptions.ClientError as exc:
        raise LocationError(
            f"cannot list {target.table_location}: {aws.describe_client_error(exc)}"
        ) from None
    if listing.get("KeyCount", 0):
        raise LocationError(
            f"{target.table_location} is not empty; Athena's CTAS writes only to an empty location",
            hint="choose another --to, or empty that prefix",
        )
