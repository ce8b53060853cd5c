"""The benchmark's table: figures, targets, PASS/FAIL lines, and the machine they ran on."""

from __future__ import annotations

import os
import platform
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from refsets import (
    expected_day_files,
)
from rounds import (
    Contender,
    paired_ratio,
)

# --- the table ------------------------------------------------------------------------------------


@dataclass
class Line:
    figure: str
    value: str
    target: str = ""
    ratio: str = ""
    verdict: str = ""


def check(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def render(lines: list[Line]) -> str:
    head = Line("figure", "measured", "target", "ratio", "result")
    cols = [
        [getattr(x, a) for x in [head, *lines]] for a in ("figure", "value", "target", "ratio", "verdict")
    ]
    widths = [max(len(v) for v in c) for c in cols]
    out = []
    for i, row in enumerate(zip(*cols, strict=True)):
        out.append("| " + " | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) + " |")
        if i == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


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


def seconds(x: float) -> str:
    return f"{x:.2f} s" if x < 10 else f"{x:.1f} s"


def table(
    c: dict[str, Contender],
    lib: list[dict[str, Any]],
    records: int,
    text_files: int,
    text_bytes: int,
    parquet_files: int,
    parquet_bytes: int,
    compact_seconds: float,
    text: Path,
) -> list[Line]:
    def med(name: str) -> float:
        return c[name].median

    def ratio(a: str, b: str) -> float:
        return paired_ratio(c[a].per_round, c[b].per_round)

    def lmed(key: str) -> float:
        return statistics.median(t for r in lib for t in r[key])

    def lratio(a: str, b: str) -> float:
        return paired_ratio([r[a] for r in lib], [r[b] for r in lib])

    lines = [
        Line("decompression floor (all cores, output discarded)", seconds(med("floor"))),
        Line("hand-written DuckDB script (python + duckdb)", seconds(med("hand"))),
    ]
    x = ratio("flowsql", "hand")
    lines.append(
        Line(
            "flowsql run top_talkers --engine duckdb (whole process)",
            seconds(med("flowsql")),
            "≤ 1.3× hand-written",
            f"{x:.2f}×",
            check(x <= 1.3),
        )
    )
    x = ratio("flowsql", "floor")
    lines.append(Line("  … against the floor", "", "≤ 2× floor", f"{x:.2f}×", check(x <= 2)))
    x = ratio("hand", "floor")
    lines.append(Line("  (hand-written script against the floor)", "", "", f"{x:.2f}×"))
    x = ratio("loop", "flowsql")
    lines.append(
        Line(
            "Python gzip+split loop", seconds(med("loop")), "flowsql ≥ 5× faster", f"{x:.1f}×", check(x >= 5)
        )
    )
    x = ratio("pandas", "flowsql")
    lines.append(Line("pandas (read_csv per file, groupby)", seconds(med("pandas")), "", f"{x:.1f}×"))
    if "reader" in c:
        x = ratio("reader", "flowsql")
        lines.append(
            Line(
                "flowlogs-reader over S3 (moto on 127.0.0.1)",
                seconds(med("reader")),
                "flowsql ≥ 20× faster",
                f"{x:.1f}×",
                check(x >= 20),
            )
        )
    else:
        lines.append(Line("flowlogs-reader over S3", "skipped", "flowsql ≥ 20× faster", "", "SKIP"))
    reference = c["flowsql"].rows
    for name in ("hand", "loop", "pandas", "reader"):
        if name in c and c[name].rows is not None and c[name].rows != reference:
            lines.append(Line(f"{name}: answer differs from flowsql's", "", "same rows", "", "FAIL"))
    if not all(r["same_rows"] for r in lib):
        lines.append(
            Line("library: answer differs from the hand-written query's", "", "same rows", "", "FAIL")
        )
    if not all(r["parquet_rows"] for r in lib):
        lines.append(Line("Parquet copy: answer differs from the text's", "", "same rows", "", "FAIL"))
    x = lratio("flowsql", "hand")
    lines.append(
        Line(
            "library: session.run(top_talkers) vs the hand-written query",
            f"{seconds(lmed('flowsql'))} vs {seconds(lmed('hand'))}",
            "within 10%",
            f"{x:.2f}×",
            check(x <= 1.10),
        )
    )
    expected = expected_day_files(text)
    files_day, files_full = lib[0]["files_day"], lib[0]["files_full"]
    lines.append(
        Line(
            "one-day window: files read (DuckDB profiling)",
            f"{files_day} of {files_full}",
            f"= {expected} (that day + 15 min)",
            "",
            check(files_day == expected and files_full == text_files),
        )
    )
    x = lratio("flowsql", "day")
    lines.append(
        Line(
            "one-day window vs full set (library)",
            f"{seconds(lmed('day'))} vs {seconds(lmed('flowsql'))}",
            "≥ 4× faster",
            f"{x:.1f}×",
            check(x >= 4),
        )
    )
    x = lratio("text_all", "parquet_all")
    lines.append(
        Line(
            f"Parquet copy vs gzip text, {len(lib[0]['investigations'])} investigations (library)",
            f"{seconds(lmed('parquet_all'))} vs {seconds(lmed('text_all'))}",
            "≥ 5× faster",
            f"{x:.1f}×",
            check(x >= 5),
        )
    )
    lines.append(
        Line(
            "sizes: Parquet copy vs gzip text",
            f"{parquet_bytes / 1e6:.1f} MB ({parquet_files} files) vs "
            f"{text_bytes / 1e6:.1f} MB ({text_files} files)",
            "",
            f"{parquet_bytes / text_bytes:.2f}×",
        )
    )
    lines.append(
        Line("flowsql compact of the set (first run, or verifying a cached copy)", seconds(compact_seconds))
    )
    x = ratio("help", "click")
    lines.append(
        Line(
            "flowsql --help vs python -c 'import click'",
            f"{seconds(med('help'))} vs {seconds(med('click'))}",
            "≤ 1.5×",
            f"{x:.2f}×",
            check(x <= 1.5),
        )
    )
    lines.append(
        Line("records per second, flowsql whole process", f"{records / med('flowsql') / 1e6:.2f} M/s")
    )
    return lines
