"""The table in the Glue Data Catalog: a TableInput derived from the TableSpec (the same table the
DDL describes), idempotent create, a readable diff against what exists, and reading a spec back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flowsql.config import AthenaSettings
from flowsql.errors import CatalogError, TableConflict
from flowsql.tables import ddl
from flowsql.tables import fields as flowfields
from flowsql.tables.spec import FileFormat, Layout, Partitioning, TableSpec

TEXT_FORMAT = {
    "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
    "SerdeInfo": {
        "SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
        "Parameters": {"field.delim": " ", "serialization.format": " "},
    },
}
PARQUET_FORMAT = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {
        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        "Parameters": {"serialization.format": "1"},
    },
}


def table_input(spec: TableSpec) -> dict[str, Any]:
    """Glue's TableInput for the spec: the same columns, partitions, location and properties as the DDL."""
    storage = TEXT_FORMAT if spec.file_format is FileFormat.TEXT else PARQUET_FORMAT
    parameters = {
        "EXTERNAL": "TRUE",
        "classification": "csv" if spec.file_format is FileFormat.TEXT else "parquet",
    }
    parameters |= ddl.table_properties(spec)
    return {
        "Name": spec.table,
        "Description": "VPC Flow Logs, managed by flowsql",
        "TableType": "EXTERNAL_TABLE",
        "Parameters": parameters,
        "PartitionKeys": [{"Name": c, "Type": "string"} for c in spec.partition_columns],
        "StorageDescriptor": {
            "Columns": [{"Name": c, "Type": t} for c, t in spec.column_types().items()],
            "Location": spec.table_location,
            **storage,
        },
    }


def _comparable(table: dict[str, Any]) -> dict[str, Any]:
    """The parts of a Glue table that define how Athena reads it."""
    sd = table.get("StorageDescriptor", {})
    params = {k: v for k, v in table.get("Parameters", {}).items() if k != ddl.SPEC_PROPERTY}
    # Glue and Athena add bookkeeping parameters of their own; compare only what defines reading.
    params = {
        k: v
        for k, v in params.items()
        if k.startswith(("projection.", "storage.location.template", "skip.header"))
        or k in ("classification",)
    }
    return {
        "columns": [(c["Name"], c["Type"].lower()) for c in sd.get("Columns", [])],
        "partition keys": [(c["Name"], c["Type"].lower()) for c in table.get("PartitionKeys", [])],
        "location": sd.get("Location", ""),
        "format": (sd.get("SerdeInfo", {}).get("SerializationLibrary"), sd.get("InputFormat")),
        "properties": params,
    }


def diff(existing: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    """Human-readable differences between an existing Glue table and the one flowsql would write."""
    have, want = _comparable(existing), _comparable(wanted)
    lines: list[str] = []
    if have["columns"] != want["columns"]:
        have_names = [c for c, _ in have["columns"]]
        want_names = [c for c, _ in want["columns"]]
        if sorted(have_names) == sorted(want_names):
            lines.append("columns: same names in a different order (text tables read by position)")
        for i in range(max(len(have["columns"]), len(want["columns"]))):
            h = have["columns"][i] if i < len(have["columns"]) else None
            w = want["columns"][i] if i < len(want["columns"]) else None
            if h != w:
                lines.append(f"column {i + 1}: existing {_col(h)}, wanted {_col(w)}")
    if have["partition keys"] != want["partition keys"]:
        lines.append(
            f"partition keys: existing {_cols(have['partition keys'])}, "
            f"wanted {_cols(want['partition keys'])}"
        )
    if have["location"] != want["location"]:
        lines.append(f"location: existing {have['location']}, wanted {want['location']}")
    if have["format"] != want["format"]:
        lines.append(f"file format: existing {have['format'][0]}, wanted {want['format'][0]}")
    hp, wp = have["properties"], want["properties"]
    for key in sorted(set(hp) | set(wp)):
        if hp.get(key) != wp.get(key):
            lines.append(f"{key}: existing {hp.get(key, '(unset)')!r}, wanted {wp.get(key, '(unset)')!r}")
    return lines


def differences_allowed(existing: dict[str, Any], spec: TableSpec, *, replace: bool) -> list[str]:
    """How an existing table differs from the spec's (empty: up to date); refuses unless replace."""
    differences = diff(existing, table_input(spec))
    if differences and not replace:
        raise TableConflict(
            f"table {spec.database}.{spec.table} exists with a different definition:\n"
            + "\n".join(f"  - {line}" for line in differences),
            hint="pass --replace to overwrite it, or choose another --table",
        )
    return differences


def _col(c: tuple[str, str] | None) -> str:
    return "(none)" if c is None else f"{c[0]} {c[1]}"


def _cols(cs: list[tuple[str, str]]) -> str:
    return "(" + ", ".join(_col(c) for c in cs) + ")" if cs else "(none)"


@dataclass
class InitReport:
    """What `init` did, or would do with --dry-run."""

    actions: list[str] = field(default_factory=list)
    changed: bool = False


def _reraise(exc: BaseException) -> Any:
    raise exc


class GlueCatalog:
    """The Glue Data Catalog through boto3."""

    def __init__(self, settings: AthenaSettings, client: Any = None) -> None:
        from flowsql import aws

        self.client = client or aws.client("glue", settings)

    def _call(self, what: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        import botocore.exceptions

        from flowsql import aws

        try:
            return fn(**kwargs)
        except botocore.exceptions.ClientError as exc:
            if (problem := aws.credentials_problem(exc)) is not None:
                raise problem from None
            raise CatalogError(f"{what} failed: {aws.describe_client_error(exc)}") from None
        except botocore.exceptions.BotoCoreError as exc:
            if (problem := aws.credentials_problem(exc)) is not None:
                raise problem from None
            raise CatalogError(f"{what} failed: {exc}") from None

    def get_table(self, database: str, name: str) -> dict[str, Any] | None:
        import botocore.exceptions

        try:
            return dict(self.client.get_table(DatabaseName=database, Name=name)["Table"])
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "EntityNotFoundException":
                return None
            return self._call(f"reading table {database}.{name}", _reraise, exc=exc)
        except botocore.exceptions.BotoCoreError as exc:
            return self._call(f"reading table {database}.{name}", _reraise, exc=exc)

    def has_database(self, database: str) -> bool:
        import botocore.exceptions

        try:
            self.client.get_database(Name=database)
            return True
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "EntityNotFoundException":
                return False
            return bool(self._call(f"reading database {database}", _reraise, exc=exc))
        except botocore.exceptions.BotoCoreError as exc:
            return bool(self._call(f"reading database {database}", _reraise, exc=exc))

    def init(self, spec: TableSpec, *, replace: bool = False, dry_run: bool = False) -> InitReport:
        report = InitReport()
        wanted = table_input(spec)
        if not self._call("reading the database", self.has_database, database=spec.database):
            report.actions.append(f"create Glue database {spec.database}")
            report.changed = True
            if not dry_run:
                self._call(
                    f"creating database {spec.database}",
                    self.client.create_database,
                    DatabaseInput={
                        "Name": spec.database,
                        "Description": "VPC Flow Logs tables managed by flowsql",
                    },
                )
            existing = None
        else:
            existing = self.get_table(spec.database, spec.table)
        name = f"{spec.database}.{spec.table}"
        if existing is None:
            report.actions.append(f"create table {name}")
            report.changed = True
            if not dry_run:
                self._call(
                    f"creating table {name}",
                    self.client.create_table,
                    DatabaseName=spec.database,
                    TableInput=wanted,
                )
            return report
        differences = differences_allowed(existing, spec, replace=replace)
        if not differences:
            report.actions.append(f"table {name} is up to date")
            return report
        report.actions.append(f"replace table {name}: " + "; ".join(differences))
        report.changed = True
        if not dry_run:
            self._call(
                f"updating table {name}",
                self.client.update_table,
                DatabaseName=spec.database,
                TableInput=wanted,
            )
        return report

    def partitions(self, database: str, name: str) -> list[dict[str, Any]]:
        """Every classic partition of a table (values and storage descriptor)."""

        def read() -> list[dict[str, Any]]:
            pages = self.client.get_paginator("get_partitions").paginate(
                DatabaseName=database, TableName=name
            )
            return [p for page in pages for p in page.get("Partitions", [])]

        return list(self._call(f"reading the partitions of {database}.{name}", read))

    def add_partitions(self, spec: TableSpec, first: Any, last: Any, *, dry_run: bool = False) -> int:
        """Create classic partitions for a date range, 100 per BatchCreatePartition call.
        Partitions that exist already stay as they are."""
        batch: list[dict[str, Any]] = []
        sd = table_input(spec)["StorageDescriptor"]
        created = 0

        def flush() -> int:
            if dry_run:
                return len(batch)
            response = self._call(
                "adding partitions",
                self.client.batch_create_partition,
                DatabaseName=spec.database,
                TableName=spec.table,
                PartitionInputList=batch,
            )
            errors = [
                e
                for e in response.get("Errors", [])
                if e["ErrorDetail"]["ErrorCode"] != "AlreadyExistsException"
            ]
            if errors:
                detail = errors[0]["ErrorDetail"]
                raise CatalogError(
                    f"adding partitions failed: {detail['ErrorCode']}: {detail.get('ErrorMessage', '')}"
                )
            already = len(response.get("Errors", []))
            return len(batch) - already

        for values, location in spec.partitions_for(first, last):
            batch.append(
                {
                    "Values": [values[c] for c in spec.partition_columns],
                    "StorageDescriptor": {**sd, "Location": location},
                }
            )
            if len(batch) == 100:
                created += flush()
                batch = []
        if batch:
            created += flush()
        return created


def spec_from_table(table: dict[str, Any]) -> TableSpec:
    """Rebuild the TableSpec from a Glue table: from flowsql's recorded spec, else from the table itself."""
    params = table.get("Parameters", {})
    recorded = params.get(ddl.SPEC_PROPERTY)
    if recorded:
        return TableSpec.from_json(recorded)
    sd = table.get("StorageDescriptor", {})
    columns = [c["Name"] for c in sd.get("Columns", [])]
    names = [
        flowfields.BY_COLUMN[c].name if c in flowfields.BY_COLUMN else c.replace("_", "-") for c in columns
    ]
    template = params.get("storage.location.template", "")
    serde = sd.get("SerdeInfo", {}).get("SerializationLibrary", "")
    keys = [k["Name"] for k in table.get("PartitionKeys", [])]
    try:
        return TableSpec.from_dict(
            {
                "location": sd.get("Location", ""),
                "database": table.get("DatabaseName", "vpc_flow_logs"),
                "table": table.get("Name", "flow_logs"),
                "layout": Layout.HIVE.value if "aws-account-id=" in template else Layout.AWS.value,
                "file_format": "parquet" if "parquet" in serde.lower() else "text",
                "log_format": flowfields.format_string(flowfields.lookup(n) for n in names),
                "hourly": any("hour" in k for k in keys),
                "partitioning": (
                    Partitioning.PROJECTION.value
                    if params.get("projection.enabled") == "true"
                    else Partitioning.PARTITIONS.value
                ),
            }
        )
    except Exception as exc:
        raise CatalogError(
            f"table {table.get('Name')} was not created by flowsql and cannot be read as one: {exc}"
        ) from None
