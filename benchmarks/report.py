"""The benchmark's table: figures, targets and PASS/FAIL for each reference set, and the machine they
ran on."""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from refsets import Sizes, expected_day_files
from rounds import Contender, paired_difference, paired_ratio


@dataclass
class SetFigures:
    """Everything measured on one reference set."""

    sizes: Sizes
    contenders: dict[str, Contender]
    library: list[dict[str, Any]]
    records: int
    text: Path
    text_files: int
    text_bytes: int
    parquet_files: int
    parquet_bytes: int
    compact_seconds: float
    cache_bytes: int
    fills: list[dict[str, Any]] = field(default_factory=list)  # the background fills after first runs


@dataclass
class Cell:
    value: str
    ratio: str = ""
    verdict: str = ""


@dataclass
class Line:
    figure: str
    target: str = ""
    cells: dict[str, Cell] = field(default_factory=dict)


def check(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def seconds(x: float) -> str:
    return f"{x:.2f} s" if x < 10 else f"{x:.1f} s"


def render(lines: list[Line], sets: list[str]) -> str:
    head = ["figure", "target"]
    for name in sets:
        head += [f"{name}: measured", "ratio", "result"]
    rows = [head]
    for line in lines:
        row = [line.figure, line.target]
        for name in sets:
            cell = line.cells.get(name, Cell(""))
            row += [cell.value, cell.ratio, cell.verdict]
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    out = []
    for i, row in enumerate(rows):
        out.append("| " + " | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) + " |")
        if i == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


def failures(lines: list[Line]) -> list[str]:
    return [
        f"{line.figure} [{name}]" for line in lines for name, c in line.cells.items() if c.verdict == "FAIL"
    ]


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import duckdb

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{os.cpu_count()} cores ({cpu or 'unknown CPU'}), Python {platform.python_version()}, "
        f"DuckDB {duckdb.__version__}, {platform.system()} {platform.release()}, load average {load:.1f}"
    )


def table(measured: list[SetFigures]) -> list[Line]:
    """One line per figure, one cell per set."""
    lines: dict[str, Line] = {}

    def put(figure: str, target: str, name: str, cell: Cell) -> None:
        lines.setdefault(figure, Line(figure, target)).cells[name] = cell

    for figures in measured:
        for figure, target, cell in _cells(figures):
            put(figure, target, figures.sizes.name, cell)
    return list(lines.values())


def _cells(f: SetFigures) -> list[tuple[str, str, Cell]]:
    c, lib = f.contenders, f.library

    def med(name: str) -> float:
        return c[name].median

    def ratio(a: str, b: str) -> float:
        return paired_ratio(c[a].per_round, c[b].per_round)

    def lmed(key: str) -> float:
        return statistics.median(t for r in lib for t in r[key])

    def lratio(a: str, b: str) -> float:
        return paired_ratio([r[a] for r in lib], [r[b] for r in lib])

    out: list[tuple[str, str, Cell]] = []

    def add(
        figure: str,
        target: str,
        value: str,
        x: float | None = None,
        ok: bool | None = None,
        fmt: str = "{:.2f}×",
    ) -> None:
        out.append(
            (figure, target, Cell(value, "" if x is None else fmt.format(x), "" if ok is None else check(ok)))
        )

    add("hand-written DuckDB script (python + duckdb), whole process", "", seconds(med("hand")))
    x = ratio("flowsql", "hand")
    add(
        "cold text scan: flowsql run top_talkers --no-cache, whole process",
        "≤ 1.15× hand-written",
        seconds(med("flowsql")),
        x,
        x <= 1.15,
    )
    x = lratio("flowsql", "hand")
    add(
        "cold text scan, engine time: session.run vs the hand-written query",
        "≤ 1.10×",
        f"{seconds(lmed('flowsql'))} vs {seconds(lmed('hand'))}",
        x,
        x <= 1.10,
    )
    x = lratio("flowsql", "day")
    add(
        "one-day window vs 7 days, engine time (text)",
        "≥ 4× faster",
        f"{seconds(lmed('day'))} vs {seconds(lmed('flowsql'))}",
        x,
        x >= 4,
        "{:.1f}×",
    )
    expected = expected_day_files(f.text)
    files_day, files_full = lib[0]["files_day"], lib[0]["files_full"]
    add(
        "one-day window: files read (DuckDB profiling)",
        "that day + 15 min",
        f"{files_day} of {files_full} (expected {expected})",
        None,
        files_day == expected and files_full == f.text_files,
    )
    x = ratio("cache_first", "hand")
    add(
        "columnar cache, first run (a background fill follows): top_talkers, whole process",
        "≤ 1.3× hand-written",
        seconds(med("cache_first")),
        x,
        x <= 1.3,
    )
    x = lratio("hand", "cache_second")
    add(
        "columnar cache, a second investigation, engine time",
        "≥ 5× faster than hand-written",
        f"{seconds(lmed('cache_second'))} vs {seconds(lmed('hand'))}",
        x,
        x >= 5,
        "{:.1f}×",
    )
    x = ratio("hand", "cache_second")
    add(
        "columnar cache, a second investigation, whole process",
        "≥ 2.5× faster than hand-written",
        seconds(med("cache_second")),
        x,
        x >= 2.5,
        "{:.1f}×",
    )
    if f.fills:
        fill_wall = statistics.median(d["seconds"] for d in f.fills)
        fill_cpu = statistics.median(d["cpu_seconds"] for d in f.fills)
        add(
            "columnar cache, the background fill after the first run (printed): wall, CPU",
            "",
            f"{seconds(fill_wall)}, {seconds(fill_cpu)} CPU ({f.fills[0].get('written', 0)} files)",
        )
    add(
        "columnar cache, first run, engine time (printed)",
        "",
        f"{seconds(lmed('cache_first'))} vs {seconds(lmed('flowsql'))} off",
        lratio("cache_first", "flowsql"),
    )
    add(
        "columnar cache size vs gzip text",
        "",
        f"{f.cache_bytes / 1e6:.1f} MB vs {f.text_bytes / 1e6:.1f} MB",
        f.cache_bytes / f.text_bytes if f.text_bytes else None,
    )
    x = lratio("text_all", "parquet_all")
    count = len(lib[0]["investigations"])
    add(
        f"Parquet copy vs gzip text, {count} investigations, engine time",
        "≥ 5× faster",
        f"{seconds(lmed('parquet_all'))} vs {seconds(lmed('text_all'))}",
        x,
        x >= 5,
        "{:.1f}×",
    )
    x = ratio("help", "click")
    add(
        "flowsql --help vs python -c 'import click'",
        "≤ 1.3×",
        f"{seconds(med('help'))} vs {seconds(med('click'))}",
        x,
        x <= 1.3,
    )
    x = paired_difference(c["empty"].per_round, c["import_duckdb"].per_round)
    add(
        "flowsql run over an empty window vs python -c 'import duckdb'",
        "≤ + 0.10 s",
        f"{seconds(med('empty'))} vs {seconds(med('import_duckdb'))}",
        x,
        x <= 0.10,
        "{:+.2f} s",
    )
    hand_mb, flowsql_mb = c["hand"].peak_mb, c["flowsql"].peak_mb
    add(
        "peak memory (RSS), 7-day cold text run vs hand-written script",
        "≤ 1.2×",
        f"{flowsql_mb:.0f} MB vs {hand_mb:.0f} MB",
        flowsql_mb / hand_mb,
        flowsql_mb / hand_mb <= 1.2,
    )
    add(
        "peak memory (RSS), columnar cache first / second run",
        "",
        f"{c['cache_first'].peak_mb:.0f} MB / {c['cache_second'].peak_mb:.0f} MB",
    )
    # Printed, not targets.
    add("decompression floor (all cores, output discarded)", "", seconds(med("floor")))
    add("  flowsql cold text scan against the floor", "", "", ratio("flowsql", "floor"))
    add("  hand-written script against the floor", "", "", ratio("hand", "floor"))
    add(
        "Python gzip+split loop (flowsql cold text × faster)",
        "",
        seconds(med("loop")),
        ratio("loop", "flowsql"),
        None,
        "{:.1f}×",
    )
    add(
        "pandas (read_csv per file, groupby)",
        "",
        seconds(med("pandas")),
        ratio("pandas", "flowsql"),
        None,
        "{:.1f}×",
    )
    if "reader" in c:
        add(
            "flowlogs-reader over S3 (moto on 127.0.0.1)",
            "",
            seconds(med("reader")),
            ratio("reader", "flowsql"),
            None,
            "{:.1f}×",
        )
    else:
        add("flowlogs-reader over S3", "", "skipped")
    add(
        "sizes: Parquet copy vs gzip text",
        "",
        f"{f.parquet_bytes / 1e6:.1f} MB ({f.parquet_files} files) vs "
        f"{f.text_bytes / 1e6:.1f} MB ({f.text_files} files)",
        f.parquet_bytes / f.text_bytes,
    )
    add("flowsql compact of the set (first run, or verifying a cached copy)", "", seconds(f.compact_seconds))
    add(
        "records per second, flowsql cold text, whole process",
        "",
        f"{f.records / med('flowsql') / 1e6:.2f} M/s",
    )
    _answers(f, add)
    return out


def _answers(f: SetFigures, add: Callable[..., None]) -> None:
    c, lib = f.contenders, f.library
    reference = c["flowsql"].rows
    for name in ("hand", "cache_first", "loop", "pandas", "reader"):
        if name in c and c[name].rows is not None and c[name].rows != reference:
            add(f"{name}: answer differs from flowsql's", "same rows", "", None, False)
    if not all(r["same_rows"] for r in lib):
        add("library: answer differs from the hand-written query's", "same rows", "", None, False)
    if not all(r["parquet_rows"] for r in lib):
        add("Parquet copy: answer differs from the text's", "same rows", "", None, False)
    if not all(r["cache_rows"] for r in lib):
        add("columnar cache: answer differs from the text's", "same rows", "", None, False)
