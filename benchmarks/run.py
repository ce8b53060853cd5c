"""flowsql against the engine it wraps, its floor and its peers, on two layouts of files: one table.

    python benchmarks/run.py             # two reference sets of 2.1 M records over 7 days
    python benchmarks/run.py --quick     # two small sets, a few seconds each, for a smoke test

The sets: many mid-sized files (1 Region, 3 files a day) and few large ones (2 Regions, 2 files a day
of 75,000 records). Every figure is the median of several runs, and the contenders run side by side in
rotating order within each round, so a noisy shared machine shifts them alike; the targets are ratios.
Whole-process figures time a fresh interpreter from start to exit (CLI start-up included) and record
its peak memory; library figures (engine time) are measured inside one warmed-up process. Every
top_talkers contender's answer is checked against flowsql's, and the columnar cache's against the
text's. Exits non-zero naming the figures that fail their targets.

Data is generated once with `flowsql sample` and cached (--data, default a folder under the system
temp dir); the Parquet copy is made with `flowsql compact`; flowsql's caches live there too. flowlogs-
reader (a benchmark-only dependency, the `bench` extra) is installed with pip if missing and reads
the same objects from a moto server this script starts on 127.0.0.1 and stops by its pid.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from refsets import (
    DAY_END,
    DAY_START,
    END,
    FULL,
    HERE,
    QUICK,
    ROOT,
    START,
    MotoS3,
    Sizes,
    ensure_reader,
    epoch,
    flowsql_command,
    log,
    parquet_copy,
    reference_set,
    tree_size,
)
from report import SetFigures, failures, machine, render, table
from rounds import Contender, run_round

EMPTY_START, EMPTY_END = "2023-01-01", "2023-01-02"  # a window holding no file of the sets


def wait_for_fill(cache: Path) -> dict[str, Any]:
    """Wait for the background fill of the columnar cache in `cache` (the answering run has exited);
    what the filler recorded (seconds, cpu_seconds, written)."""
    from flowsql.engines.duckdb import background

    folder = str(cache / "columnar")
    if not background.wait(folder, timeout=1800):
        raise RuntimeError(f"the background fill of {folder} did not finish")
    done = background.last(folder)
    if done.get("error"):
        raise RuntimeError(f"the background fill of {folder} failed: {done['error']}")
    return done if done.get("seconds") is not None else {}


def contenders(
    sizes: Sizes, text: Path, cache_root: Path, moto: MotoS3 | None, fills: list[dict[str, Any]]
) -> dict[str, Contender]:
    lo, hi = str(epoch(START)), str(epoch(END))
    py = sys.executable
    # flowsql's caches (statements, and the columnar cache) under the benchmark's folder: one for
    # the cold and first-run figures (emptied of columnar entries before each run), one kept warm.
    # The cache is filled in the background, flowsql's default, whatever the environment says.
    fill = {"FLOWSQL_CACHE_FILL": "background"}
    cold_env = {**os.environ, **fill, "FLOWSQL_CACHE_DIR": str(cache_root / "cold")}
    warm_env = {**os.environ, **fill, "FLOWSQL_CACHE_DIR": str(cache_root / "warm")}

    def flowsql_run(name: str, start: str = START, end: str = END, *extra: str) -> list[str]:
        return [
            *flowsql_command(), "run", name, "--engine", "duckdb", "--location", str(text),
            "-p", f"start={start}", "-p", f"end={end}", "--format", "json", "-q", *extra,
        ]  # fmt: skip

    def empty_columnar() -> None:
        shutil.rmtree(cache_root / "cold" / "columnar", ignore_errors=True)

    def filled() -> None:
        # The first run answers and leaves the entries to a detached filler: wait for it (untimed), so
        # it runs beside no other contender, and keep what it cost.
        done = wait_for_fill(cache_root / "cold")
        if done:
            fills.append(done)

    found = {
        "floor": Contender("floor", [py, str(HERE / "floor.py"), str(text)], answers=False),
        "hand": Contender("hand", [py, str(HERE / "hand_duckdb.py"), str(text), lo, hi]),
        "flowsql": Contender("flowsql", flowsql_run("top_talkers", START, END, "--no-cache"), env=cold_env),
        "cache_first": Contender(
            "cache_first", flowsql_run("top_talkers"), env=cold_env, before=empty_columnar, after=filled
        ),
        "cache_second": Contender(
            "cache_second", flowsql_run("rejected_ssh_sources"), env=warm_env, answers=False
        ),
        "empty": Contender(
            "empty", flowsql_run("top_talkers", EMPTY_START, EMPTY_END), env=warm_env, repeat=3, answers=False
        ),
        "import_duckdb": Contender("import_duckdb", [py, "-c", "import duckdb"], repeat=3, answers=False),
        "loop": Contender("loop", [py, str(HERE / "python_loop.py"), str(text), lo, hi], rounds=3),
        "pandas": Contender("pandas", [py, str(HERE / "pandas_peer.py"), str(text), lo, hi], rounds=3),
        "click": Contender("click", [py, "-c", "import click"], repeat=5, answers=False),
        "help": Contender("help", [*flowsql_command(), "--help"], repeat=5, answers=False),
    }
    if moto is not None:
        location = moto.upload(text, sizes.name)
        found["reader"] = Contender(
            "reader",
            [py, str(HERE / "flowlogs_reader_peer.py"), location, lo, hi],
            env=moto.env(),
            rounds=sizes.reader_runs,
        )
    # Fill the warm cache (and both statement caches) once, untimed.
    prefill = (
        (warm_env, flowsql_run("rejected_ssh_sources")),
        (warm_env, flowsql_run("top_talkers", EMPTY_START, EMPTY_END)),
        (cold_env, flowsql_run("top_talkers")),
    )
    for env, args in prefill:
        subprocess.run(args, env=env, check=True, capture_output=True, cwd=tempfile.gettempdir())
        wait_for_fill(Path(env["FLOWSQL_CACHE_DIR"]))
    return found


def measure(sizes: Sizes, folder: Path, runs: int, moto: MotoS3 | None) -> SetFigures:
    text = reference_set(folder, sizes)
    parquet, compact_seconds = parquet_copy(text, folder)
    cache_root = folder / f"cache-{sizes.name}"
    shutil.rmtree(cache_root, ignore_errors=True)
    fills: list[dict[str, Any]] = []
    found = contenders(sizes, text, cache_root, moto, fills)
    library: list[dict[str, Any]] = []
    order = list(found.values())
    library_env = {
        **os.environ,
        "FLOWSQL_CACHE_DIR": str(cache_root / "library"),
        "FLOWSQL_CACHE_FILL": "background",
    }
    for round_no in range(runs):
        log(f"{sizes.name}: round {round_no + 1}/{runs}")
        # Rotate the order so no contender always runs right after the same neighbour.
        shift = round_no % len(order)
        for contender in order[shift:] + order[:shift]:
            if contender.rounds is not None and len(contender.per_round) >= contender.rounds:
                continue
            run_round(contender)
        done = subprocess.run(
            [sys.executable, str(HERE / "library.py"), str(text), str(parquet), START, END, DAY_START,
             DAY_END, str(sizes.library_pairs), *([sizes.investigations] if sizes.investigations else [])],
            capture_output=True, text=True, check=False, cwd=HERE, env=library_env,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"library timings failed: {done.stderr.strip()[-1500:]}")
        library.append(json.loads(done.stdout))
    text_files, text_bytes = tree_size(text, ".log.gz")
    parquet_files, parquet_bytes = tree_size(parquet, ".log.parquet")
    records = json.loads((text / ".flowsql-sample.json").read_text())["records"]
    return SetFigures(
        sizes=sizes,
        contenders=found,
        library=library,
        records=records,
        text=text,
        text_files=text_files,
        text_bytes=text_bytes,
        parquet_files=parquet_files,
        parquet_bytes=parquet_bytes,
        compact_seconds=compact_seconds,
        cache_bytes=tree_size(cache_root / "warm" / "columnar", ".parquet")[1],
        fills=fills,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sets and few runs: a smoke test")
    parser.add_argument("--data", type=Path, help="cache folder for the generated sets")
    parser.add_argument("--runs", type=int, help="rounds of every whole-process contender")
    parser.add_argument("--no-reader", action="store_true", help="skip flowlogs-reader (needs pip)")
    parser.add_argument("--json", type=Path, help="also write the raw timings here")
    args = parser.parse_args(argv)
    sets = QUICK if args.quick else FULL
    folder = args.data or Path(tempfile.gettempdir()) / "flowsql-bench"
    folder.mkdir(parents=True, exist_ok=True)

    # A pip-installed package is byte-compiled at install time; an editable checkout is not, and
    # PYTHONDONTWRITEBYTECODE would make every start compile flowsql afresh. Compile it once.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "flowsql")], check=False)
    moto: MotoS3 | None = None
    measured: list[SetFigures] = []
    try:
        if not args.no_reader and ensure_reader():
            moto = MotoS3()
        for sizes in sets:
            measured.append(measure(sizes, folder, args.runs or sizes.runs, moto))
    finally:
        if moto is not None:
            moto.stop()

    lines = table(measured)
    print(f"flowsql benchmark on {machine()}")
    for figures in measured:
        s = figures.sizes
        print(
            f"set {s.name}: {figures.records:,} records over 7 days in {figures.text_files} gzip files "
            f"({s.label}; {figures.text_bytes / 1e6:.1f} MB); {len(figures.library)} rounds"
        )
    print("times are medians; ratios the median of the ratios within each round")
    print()
    print(render(lines, [f.sizes.name for f in measured]))
    if args.json:
        raw = {
            f.sizes.name: {
                c.name: {"times": c.per_round, "peak_kb": c.peak_kb} for c in f.contenders.values()
            }
            | {"library": f.library}
            for f in measured
        }
        args.json.write_text(json.dumps(raw, indent=1))
    failing = failures(lines)
    wrong = [f for f in failing if "answer differs" in f]
    if args.quick:
        print("\n(quick mode: a smoke run; the targets are meant for the full reference sets)")
        if wrong:
            print("wrong answers: " + "; ".join(wrong))
        return 1 if wrong else 0
    for failed in failing:
        # Which figure missed its target, on stderr too, so a failing exit status is never unexplained.
        print(f"FAIL: {failed}", file=sys.stderr)
    if failing:
        print("\nFAIL: " + "; ".join(failing))
        return 1
    print("\nevery target holds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
