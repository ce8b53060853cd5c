"""What the DuckDB engine learns from Parquet footers before reading any row: each file's columns
and types (files are grouped by them), a column whose type cannot be the table's (a bad file), and the
range of `start` values its row-group statistics prove it holds (what a time window may skip it by)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowsql.engines.duckdb.files import FileGroup, Inventory

if TYPE_CHECKING:
    import duckdb

    from flowsql.tables.spec import TableSpec

# Physical Parquet types that can hold each Athena column type (AWS writes INT32/INT64/BYTE_ARRAY).
_FITS = {
    "int": {"INT32", "INT64"},
    "bigint": {"INT32", "INT64"},
    "string": {"BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"},
}
_INTEGERS = {"INT32", "INT64"}


def group_parquet(con: duckdb.DuckDBPyConnection, spec: TableSpec, paths: list[str]) -> Inventory:
    """Parquet files grouped by their (column, type) list, read from the footers in one query."""
    from flowsql.engines.duckdb.engine import reason_for

    inventory = Inventory()
    schemas: dict[str, list[tuple[str, str]]] = {p: [] for p in paths}
    query = "SELECT file_name, name, type FROM parquet_schema(?) WHERE type IS NOT NULL"
    try:
        for file_name, name, kind in con.execute(query, [paths]).fetchall():
            schemas[file_name].append((name, kind))
    except Exception:
        # Some footer is unreadable: find which ones, one file at a time (the error path only).
        for path in paths:
            schemas[path] = []
            try:
                for _file, name, kind in con.execute(query, [path]).fetchall():
                    schemas[path].append((name, kind))
            except Exception as err:
                inventory.bad[path] = reason_for(str(err), path)
    types = spec.column_types()
    by_schema: dict[tuple[tuple[str, str], ...], list[str]] = {}
    for path in paths:
        if path in inventory.bad:
            continue
        columns = schemas[path]
        if not any(name.replace("-", "_") in types for name, _ in columns):
            inventory.bad[path] = "no flow-log columns in this Parquet file"
            continue
        wrong = [
            f"{name} is {kind}, the table's column is {types[column]}"
            for name, kind in columns
            if (column := name.replace("-", "_")) in types and kind not in _FITS.get(types[column], {kind})
        ]
        if wrong:
            inventory.bad[path] = "a column holds another type: " + "; ".join(wrong)
            continue
        by_schema.setdefault(tuple(columns), []).append(path)
    for columns, files in by_schema.items():
        names = tuple(n.replace("-", "_") for n, _ in columns)
        inventory.groups.append(FileGroup(names, tuple(files), source_names=tuple(n for n, _ in columns)))
        start = dict(zip(names, columns, strict=True)).get("start")
        if start is not None and start[1] in _INTEGERS:
            inventory.start_ranges.update(_start_ranges(con, list(files), start[0]))
    return inventory


def _start_ranges(
    con: duckdb.DuckDBPyConnection, paths: list[str], column: str
) -> dict[str, tuple[int, int]]:
    """Per file, the least and greatest `start` over its row groups' statistics; a file with any
    row group lacking them is left out (nothing is proved about it, so it is always read)."""
    rows = con.execute(
        "SELECT file_name, min(TRY_CAST(stats_min_value AS BIGINT)), "
        "max(TRY_CAST(stats_max_value AS BIGINT)), "
        "bool_or(TRY_CAST(stats_min_value AS BIGINT) IS NULL OR TRY_CAST(stats_max_value AS BIGINT) IS NULL) "
        "FROM parquet_metadata(?) WHERE path_in_schema = ? GROUP BY file_name",
        [paths, column],
    ).fetchall()
    return {f: (int(lo), int(hi)) for f, lo, hi, unknown in rows if not unknown and lo is not None}
