"""The inventory on Athena: the same Parquet files on S3, one prefix per table, and a Glue table
`inventory_<name>` for each, in the flow-log table's database."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from flowsql import aws
from flowsql.config import AthenaSettings
from flowsql.errors import CatalogError, ConfigError
from flowsql.inventory import store
from flowsql.inventory.snapshot import MANIFEST, Snapshot
from flowsql.inventory.tables import TABLES, table_name

PARQUET_STORAGE = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
}


def prefix(location: str) -> str:
    return location if location.endswith("/") else location + "/"


def table_input(name: str, location: str, snapshot: Snapshot) -> dict[str, Any]:
    """Glue TableInput of one inventory table over `<location>/<name>/`."""
    return {
        "Name": table_name(name),
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {
            "classification": "parquet",
            "flowsql.inventory": name,
            "flowsql.inventory.taken_at": snapshot.taken_at.isoformat(),
        },
        "StorageDescriptor": {
            "Columns": [{"Name": c, "Type": t} for c, t in TABLES[name].items()],
            "Location": f"{prefix(location)}{name}/",
            **PARQUET_STORAGE,
        },
    }


def publish(
    snapshot: Snapshot,
    location: str,
    database: str,
    settings: AthenaSettings,
    *,
    s3: Any = None,
    glue: Any = None,
) -> list[str]:
    """Upload the snapshot's Parquet files under `location` (replacing the previous ones) and create
    or update its Glue tables. Returns the S3 keys written."""
    import botocore.exceptions

    s3 = s3 or aws.client("s3", settings)
    glue = glue or aws.client("glue", settings)
    bucket, key_prefix = aws.split_s3(prefix(location))
    written = []
    try:
        with tempfile.TemporaryDirectory(prefix="flowsql-inventory-") as tmp:
            for path in store.write_parquet(snapshot, tmp):
                name = path.stem
                table_prefix = f"{key_prefix}{name}/"
                _empty(s3, bucket, table_prefix)
                key = f"{table_prefix}{path.name}"
                s3.upload_file(str(path), bucket, key)
                written.append(key)
            manifest = json.dumps(snapshot.manifest(), indent=2).encode()
            s3.put_object(Bucket=bucket, Key=f"{key_prefix}{MANIFEST}", Body=manifest)
        _ensure_database(glue, database)
        for name in TABLES:
            wanted = table_input(name, location, snapshot)
            try:
                glue.get_table(DatabaseName=database, Name=wanted["Name"])
            except glue.exceptions.EntityNotFoundException:
                glue.create_table(DatabaseName=database, TableInput=wanted)
            else:
                glue.update_table(DatabaseName=database, TableInput=wanted)
    except botocore.exceptions.ClientError as exc:
        reason = aws.describe_client_error(exc)
        raise CatalogError(f"cannot publish the inventory to {location}: {reason}") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise CatalogError(f"cannot publish the inventory to {location}: {exc}") from None
    return written


def _empty(s3: Any, bucket: str, key_prefix: str) -> None:
    for page in aws.list_pages(s3, bucket, key_prefix, hint="check the inventory location"):
        keys = [{"Key": o["Key"]} for o in page.get("Contents") or []]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})


def _ensure_database(glue: Any, database: str) -> None:
    try:
        glue.get_database(Name=database)
    except glue.exceptions.EntityNotFoundException:
        glue.create_database(DatabaseInput={"Name": database})


def read_manifest(location: str, settings: AthenaSettings, *, s3: Any = None) -> dict[str, Any]:
    import botocore.exceptions

    s3 = s3 or aws.client("s3", settings)
    bucket, key_prefix = aws.split_s3(prefix(location))
    try:
        body = s3.get_object(Bucket=bucket, Key=f"{key_prefix}{MANIFEST}")["Body"].read()
    except botocore.exceptions.ClientError as exc:
        raise ConfigError(
            f"no inventory at {location} ({aws.describe_client_error(exc)})",
            hint=f"run `flowsql inventory refresh --to {location}` to take a snapshot",
        ) from None
    return dict(json.loads(body))


def download(location: str, folder: str | Path, settings: AthenaSettings, *, s3: Any = None) -> Path:
    """The published Parquet files and manifest copied into a local folder (to read them back)."""
    s3 = s3 or aws.client("s3", settings)
    bucket, key_prefix = aws.split_s3(prefix(location))
    base = Path(folder)
    base.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        s3.download_file(bucket, f"{key_prefix}{name}/{name}.parquet", str(store.table_path(base, name)))
    s3.download_file(bucket, f"{key_prefix}{MANIFEST}", str(base / MANIFEST))
    return base
