"""The Athena set-up walk-through, as a script you can read top to bottom.

    python examples/athena_setup.py s3://my-flow-logs/vpc --accounts 111122223333 --regions us-east-1
    python examples/athena_setup.py ./flowlogs       # a local copy: the same steps, run on DuckDB

Steps: describe the flow log once (TableSpec), look at the DDL flowsql would create, check which
investigations the log format supports, render one to the exact Athena SQL, and run it: on Athena
when the location is on S3 and --run is given, else on DuckDB over the local folder. Creating the
table for real is `flowsql init` (Glue API, free) — this script only shows and checks.
"""

from __future__ import annotations

import argparse
import sys

import flowsql
from flowsql.investigations.library import load
from flowsql.tables import ddl
from flowsql.tables.coverage import empty_window_note
from flowsql.tables.detect import detect


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="walk through an Athena set-up for VPC Flow Logs")
    parser.add_argument("location")
    parser.add_argument("--accounts", default="")
    parser.add_argument("--regions", default="")
    parser.add_argument("--log-format")
    parser.add_argument("--hourly", action="store_true")
    parser.add_argument("--start", help="window start for the sample query (default: last 24 hours)")
    parser.add_argument("--end")
    parser.add_argument("--run", action="store_true", help="on S3: really run the query on Athena")
    args = parser.parse_args(argv)
    options = {
        "location": args.location,
        "accounts": [a for a in args.accounts.split(",") if a],
        "regions": [r for r in args.regions.split(",") if r],
        "hourly": args.hourly or None,
    }
    if args.log_format:
        options["log_format"] = args.log_format
    try:
        on_s3 = args.location.startswith("s3://")
        if not on_s3 or not (options["accounts"] and options["regions"]):
            # What `flowsql init` does first: find the layout, accounts, Regions and log format.
            found = detect({k: v for k, v in options.items() if v})
            print("0. What the files are:\n")
            for finding in found.findings:
                print(f"   {finding.topic + ':':10} {finding.text}")
            print()
            options = found.spec.to_dict()
        fl = flowsql.connect(engine="athena" if on_s3 else "duckdb", config="/dev/null", **options)
        spec = fl.spec

        print("1. The table, described once:\n")
        for key, value in spec.to_dict().items():
            print(f"   {key:13} {value}")

        print("\n2. The DDL (flowsql init creates the same table through the Glue API):\n")
        print(ddl.script(ddl.statements(spec)))

        print("\n3. What this log format can answer:\n")
        library = load()
        for investigation in library:
            missing = investigation.available(spec)
            mark = "yes" if not missing else "needs " + ", ".join(f.column for f in missing)
            print(f"   {investigation.name:28} {mark}")

        window = {k: v for k, v in (("start", args.start), ("end", args.end)) if v}
        print("\n4. One investigation, as Athena will run it (bounded to its window and partitions):\n")
        print(fl.render("top_talkers", limit=5, **window))

        if on_s3 and not args.run:
            print("\n5. Pass --run to run it on Athena (it scans only the partitions above).")
            return 0
        print(f"\n5. Running it on {'Athena' if on_s3 else 'DuckDB, over the local folder'}:\n")
        rows = fl.run("top_talkers", limit=5, **window)
        for row in rows:
            print("  ", row.as_dict())
        if not rows and rows.stats.window is not None:
            # No rows over a window without files is "nothing read", not "nothing happened".
            note = empty_window_note(spec, rows.stats.window, fl.settings)
            if note:
                print(f"   warning: {note}")
        print(f"\n   {rows.stats.summary()}")
        fl.close()
    except flowsql.FlowsqlError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
