"""flowsql against its floor, the engine it wraps, and its peers: one command, one table.

    python benchmarks/run.py             # the reference set: 2.1 M records, 21 gzip files, 7 days
    python benchmarks/run.py --quick     # a small set, a few seconds, for a smoke test

Every figure is the median of several runs, and the contenders run side by side in rotating order
within each round, so a noisy shared machine shifts them alike; the targets are ratios. Whole-process
figures time a fresh interpreter from start to exit (CLI start-up included); library figures are
measured inside one warmed-up process (start-up excluded). Every top_talkers contender's answer is
checked against flowsql's.

Data is generated once with `flowsql sample` and cached (--data, default a folder under the system
temp dir); the Parquet copy is made with `flowsql compact`. flowlogs-reader (a benchmark-only
dependency, the `bench` extra) is installed with pip if missing and reads the same objects from a
moto server this script starts on 127.0.0.1 and stops by its pid.
"""

from __future__ import annotations

import argparse
import json
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
    ensure_reader,
    epoch,
    flowsql_command,
    log,
    parquet_copy,
    reference_set,
    tree_size,
)
from report import (
    machine,
    render,
    table,
)
from rounds import (
    Contender,
    run_round,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small set and few runs: a smoke test")
    parser.add_argument("--data", type=Path, help="cache folder for the generated sets")
    parser.add_argument("--runs", type=int, help="rounds of every whole-process contender")
    parser.add_argument("--no-reader", action="store_true", help="skip flowlogs-reader (needs pip)")
    parser.add_argument("--json", type=Path, help="also write the raw timings here")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    runs = args.runs or sizes.runs
    folder = args.data or Path(tempfile.gettempdir()) / "flowsql-bench"
    folder.mkdir(parents=True, exist_ok=True)

    # A pip-installed package is byte-compiled at install time; an editable checkout is not, and
    # PYTHONDONTWRITEBYTECODE would make every start compile flowsql afresh. Compile it once.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "flowsql")], check=False)
    text = reference_set(folder, sizes)
    parquet, compact_seconds = parquet_copy(text, folder)
    text_files, text_bytes = tree_size(text, ".log.gz")
    parquet_files, parquet_bytes = tree_size(parquet, ".log.parquet")
    records = json.loads((text / ".flowsql-sample.json").read_text())["records"]
    lo, hi = str(epoch(START)), str(epoch(END))
    py = sys.executable
    run_args = [
        *flowsql_command(), "run", "top_talkers", "--engine", "duckdb", "--location", str(text),
        "-p", f"start={START}", "-p", f"end={END}", "--format", "json", "-q",
    ]  # fmt: skip
    contenders = {
        "floor": Contender("floor", [py, str(HERE / "floor.py"), str(text)], answers=False),
        "hand": Contender("hand", [py, str(HERE / "hand_duckdb.py"), str(text), lo, hi]),
        "flowsql": Contender("flowsql", run_args),
        "loop": Contender("loop", [py, str(HERE / "python_loop.py"), str(text), lo, hi]),
        "pandas": Contender("pandas", [py, str(HERE / "pandas_peer.py"), str(text), lo, hi]),
        "click": Contender("click", [py, "-c", "import click"], repeat=5, answers=False),
        "help": Contender("help", [*flowsql_command(), "--help"], repeat=5, answers=False),
    }
    moto: MotoS3 | None = None
    library: list[dict[str, Any]] = []
    try:
        if not args.no_reader and ensure_reader():
            moto = MotoS3()
            location = moto.upload(text)
            contenders["reader"] = Contender(
                "reader",
                [py, str(HERE / "flowlogs_reader_peer.py"), location, lo, hi],
                env=moto.env(),
                rounds=sizes.reader_runs,
            )
        order = list(contenders.values())
        for round_no in range(runs):
            log(f"round {round_no + 1}/{runs}")
            # Rotate the order so no contender always runs right after the same neighbour.
            shift = round_no % len(order)
            for contender in order[shift:] + order[:shift]:
                if contender.rounds is not None and len(contender.per_round) >= contender.rounds:
                    continue
                run_round(contender)
            done = subprocess.run(
                [py, str(HERE / "library.py"), str(text), str(parquet), START, END, DAY_START, DAY_END,
                 str(sizes.library_pairs), *([sizes.investigations] if sizes.investigations else [])],
                capture_output=True, text=True, check=False, cwd=HERE,
            )  # fmt: skip
            if done.returncode != 0:
                raise RuntimeError(f"library timings failed: {done.stderr.strip()[-1500:]}")
            library.append(json.loads(done.stdout))
    finally:
        if moto is not None:
            moto.stop()

    lines = table(
        contenders,
        library,
        records,
        text_files,
        text_bytes,
        parquet_files,
        parquet_bytes,
        compact_seconds,
        text,
    )
    print(f"flowsql benchmark on {machine()}")
    print(
        f"reference set: {records:,} records in {text_files} gzip files over 7 days "
        f"({text_bytes / 1e6:.1f} MB); {runs} rounds"
        + (f" ({sizes.reader_runs} for flowlogs-reader)" if "reader" in contenders else "")
        + "; times are medians, ratios the median of the ratios within each round"
    )
    print()
    print(render(lines))
    if args.json:
        raw = {c.name: c.per_round for c in contenders.values()} | {"library": library}
        args.json.write_text(json.dumps(raw, indent=1))
    wrong = [line for line in lines if "answer differs" in line.figure]
    if args.quick:
        print("\n(quick mode: a smoke run; the targets are meant for the full reference set)")
        return 1 if wrong else 0
    failed = [line for line in lines if line.verdict == "FAIL"]
    for line in failed:
        # Which figure missed its target, on stderr, so a failing exit status is never unexplained.
        print(
            f"FAIL: {line.figure}: {line.value} {line.ratio}, target {line.target}".strip(), file=sys.stderr
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
