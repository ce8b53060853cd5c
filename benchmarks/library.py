"""Library-level timings (engine time), start-up excluded: everything is imported and warmed once,
then each measurement uses a fresh session (or connection), alternating so both sides see the same
noise. Text figures run with the columnar cache off unless they measure it; the cache lives under
FLOWSQL_CACHE_DIR, which run.py points at the benchmark's folder. Prints one JSON object.
Usage: python library.py TEXT PARQUET START END DAY_START DAY_END PAIRS [INVESTIGATION,...]"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from typing import Any

import duckdb
from hand_duckdb import query as hand_query

import flowsql
from flowsql.investigations.window import parse_instant

# Investigations that run on the default (v2) format, for text vs Parquet. exfiltration_suspects and
# the other IP-range investigations are left out while their CIDR macros, not the reading, dominate.
INVESTIGATIONS = (
    "top_talkers",
    "rejected_ssh_sources",
    "port_scan_suspects",
    "host_scan_suspects",
    "sensitive_port_rejects",
    "log_health",
)


def timed(fn: Any) -> tuple[float, Any]:
    began = time.perf_counter()
    out = fn()
    return time.perf_counter() - began, out


def hand(folder: str, start: int, end: int) -> list[list[Any]]:
    con = duckdb.connect()
    try:
        return [list(r) for r in con.execute(hand_query(folder, start, end)).fetchall()]
    finally:
        con.close()


# The second question in the cache figures: another investigation than the one that filled the cache.
SECOND = "rejected_ssh_sources"


def library(
    location: str, start: str, end: str, name: str = "top_talkers", **options: Any
) -> list[list[Any]]:
    options.setdefault("cache", False)
    session = flowsql.connect(engine="duckdb", location=location, **options)
    try:
        return [list(r) for r in session.run(name, start=start, end=end)]
    finally:
        session.close()


def wait_for_fill() -> None:
    """The background fill a first run with the cache leaves to a detached filler (untimed)."""
    from flowsql.engines.duckdb import background

    if not background.wait(os.path.join(os.environ["FLOWSQL_CACHE_DIR"], "columnar"), timeout=1800):
        raise RuntimeError("the background fill did not finish")


def empty_cache() -> None:
    shutil.rmtree(os.path.join(os.environ["FLOWSQL_CACHE_DIR"], "columnar"), ignore_errors=True)


def investigations(location: str, start: str, end: str, names: list[str], **options: Any) -> int:
    options.setdefault("cache", False)
    session = flowsql.connect(engine="duckdb", location=location, **options)
    try:
        return sum(len(session.run(name, start=start, end=end)) for name in names)
    finally:
        session.close()


def files_read(location: str, start: str, end: str) -> int:
    session = flowsql.connect(engine="duckdb", location=location, cache=False)
    try:
        rendered = session.prepare("top_talkers", start=start, end=end)
        return session.engine.files_read(rendered.sql, window=rendered.window)
    finally:
        session.close()


def main() -> None:
    text, parquet, start, end, day_start, day_end, pairs = sys.argv[1:8]
    names = sys.argv[8].split(",") if len(sys.argv) > 8 else list(INVESTIGATIONS)
    epoch = {s: int(parse_instant(s, "t").timestamp()) for s in (start, end)}
    pq = {"layout": "hive", "file_format": "parquet"}
    # Warm-up: imports, sqlglot dialects, the OS file cache; not measured.
    hand(text, epoch[start], epoch[end])
    library(text, start, end)
    library(parquet, start, end, **pq)
    library(text, start, end, SECOND)
    wait_for_fill()
    keys = ("hand", "flowsql", "day", "text_all", "parquet_all", "cache_first", "cache_second")
    out: dict[str, Any] = {k: [] for k in keys}
    for pair in range(int(pairs)):
        # Alternate who goes first, so neither always inherits the other's cache state.
        steps = [
            ("hand", lambda: hand(text, epoch[start], epoch[end])),
            ("flowsql", lambda: library(text, start, end)),
        ]
        for key, fn in steps if pair % 2 == 0 else steps[::-1]:
            seconds, rows = timed(fn)
            out[key].append(seconds)
            if key == "hand":
                hand_rows = rows
            else:
                flowsql_rows = rows
        out["day"].append(timed(lambda: library(text, day_start, day_end))[0])
        empty_cache()
        seconds, cached_first = timed(lambda: library(text, start, end, cache=True))
        out["cache_first"].append(seconds)
        wait_for_fill()
        seconds, cached_second = timed(lambda: library(text, start, end, SECOND, cache=True))
        out["cache_second"].append(seconds)
    out["text_all"].append(timed(lambda: investigations(text, start, end, names))[0])
    out["parquet_all"].append(timed(lambda: investigations(parquet, start, end, names, **pq))[0])
    out["same_rows"] = hand_rows == flowsql_rows
    out["cache_rows"] = cached_first == flowsql_rows and cached_second == library(text, start, end, SECOND)
    out["parquet_rows"] = library(parquet, start, end, **pq) == flowsql_rows
    out["files_full"] = files_read(text, start, end)
    out["files_day"] = files_read(text, day_start, day_end)
    out["investigations"] = names
    print(json.dumps(out))


if __name__ == "__main__":
    main()
