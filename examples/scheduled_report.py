"""Run a saved investigation over the last N hours and write its rows as JSON: a cron job.

    python examples/scheduled_report.py rejected_ssh_sources --hours 24 --out report.json \
        --location ./flowlogs [-p limit=50]

The table comes from --location (DuckDB) or from .flowsql.yaml (written by `flowsql init`), so the
same script runs against Athena in production. The exit status is non-zero on any error, with one
message on stderr, so the scheduler notices.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import flowsql
from flowsql.investigations.params import parse_assignments
from flowsql.output import json_value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("investigation")
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--end", help="window end (ISO-8601, UTC); default: now")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--location", help="local flow-log folder; default: the project config's table")
    parser.add_argument("-p", "--param", action="append", default=[], help="NAME=VALUE")
    args = parser.parse_args(argv)

    end = datetime.fromisoformat(args.end) if args.end else datetime.now(timezone.utc)
    if end.tzinfo is None:
        end = end.replace(tzinfo=timezone.utc)
    start = end - timedelta(hours=args.hours)
    try:
        options = {"location": args.location} if args.location else {}
        with flowsql.connect(**options) as fl:
            params = parse_assignments(args.param)
            rows = fl.run(args.investigation, start=start.isoformat(), end=end.isoformat(), **params)
    except flowsql.FlowsqlError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report = {
        "investigation": args.investigation,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "engine": rows.stats.engine,
        "bytes_scanned": rows.stats.bytes_scanned,
        "rows": [{k: json_value(v) for k, v in row.as_dict().items()} for row in rows],
    }
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    tmp.replace(args.out)  # readers never see a half-written report
    print(f"{len(rows)} row(s) → {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
