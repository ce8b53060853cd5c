"""The local inventory: one Parquet file per table in a folder, and snapshot.json saying when it was
taken. The DuckDB engine reads these files as views named like the Athena tables."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from flowsql.errors import ConfigError
from flowsql.inventory.snapshot import MANIFEST, Snapshot
from flowsql.inventory.tables import TABLES

_DUCK = {"string": "VARCHAR", "int": "INTEGER", "bigint": "BIGINT", "boolean": "BOOLEAN", "double": "DOUBLE"}


def duckdb_type(athena_type: str) -> str:
    return _DUCK[athena_type]


def table_path(folder: str | Path, name: str) -> Path:
    return Path(folder) / f"{name}.parquet"


def exists(folder: str | Path) -> bool:
    """Whether `folder` holds an inventory (its manifest and every table's file)."""
    base = Path(folder)
    return (base / MANIFEST).is_file() and all(table_path(base, n).is_file() for n in TABLES)


def write_parquet(snapshot: Snapshot, folder: str | Path) -> list[Path]:
    """Each table as `<folder>/<table>.parquet` (written beside, then moved into place), with types
    from TABLES, and the manifest last: a reader never sees half a snapshot's manifest."""
    from flowsql.duckdb_driver import duckdb

    base = Path(folder)
    base.mkdir(parents=True, exist_ok=True)
    written = []
    con = duckdb.connect()
    try:
        for name, columns in TABLES.items():
            decl = ", ".join(f'"{c}" {duckdb_type(t)}' for c, t in columns.items())
            con.execute(f'CREATE OR REPLACE TABLE "{name}" ({decl})')
            rows = [tuple(r[c] for c in columns) for r in snapshot.tables[name]]
            if rows:
                marks = ", ".join("?" for _ in columns)
                con.executemany(f'INSERT INTO "{name}" VALUES ({marks})', rows)
            final = table_path(base, name)
            partial = final.with_name(f".{final.name}.partial")
            order = ", ".join(f'"{c}"' for c in columns)
            con.execute(
                f"COPY (SELECT * FROM \"{name}\" ORDER BY {order}) TO '{_sql_path(partial)}' (FORMAT parquet)"
            )
            os.replace(partial, final)
            written.append(final)
    finally:
        con.close()
    _write_text(base / MANIFEST, json.dumps(snapshot.manifest(), indent=2) + "\n")
    return written


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _write_text(path: Path, text: str) -> None:
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def read_manifest(folder: str | Path) -> dict[str, Any]:
    path = Path(folder) / MANIFEST
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise ConfigError(
            f"no inventory in {folder}", hint="run `flowsql inventory refresh` to take a snapshot"
        ) from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read the inventory manifest {path}: {exc}") from None


def read_parquet(folder: str | Path) -> Snapshot:
    """The snapshot a folder holds, read back from its Parquet files."""
    from flowsql.duckdb_driver import duckdb

    manifest = read_manifest(folder)
    tables: dict[str, list[dict[str, Any]]] = {}
    con = duckdb.connect()
    try:
        for name in TABLES:
            path = table_path(folder, name)
            try:
                cursor = con.execute("SELECT * FROM read_parquet(?)", [str(path)])
            except duckdb.Error as exc:
                first = str(exc).strip().splitlines()[0]
                raise ConfigError(
                    f"the inventory in {folder} is damaged: {path.name}: {first}",
                    hint="run `flowsql inventory refresh` to take a new snapshot",
                ) from None
            columns = [d[0] for d in cursor.description]
            tables[name] = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()
    return Snapshot(datetime.fromisoformat(manifest["taken_at"]), tables, dict(manifest.get("source") or {}))
