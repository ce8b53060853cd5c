"""The engine flowsql wraps, used by hand: one DuckDB query doing top_talkers over the same files.
Python and duckdb, nothing else. Usage: python hand_duckdb.py FOLDER START_EPOCH END_EPOCH"""

import json
import sys

import duckdb

COLUMNS = {
    "version": "INTEGER", "account_id": "VARCHAR", "interface_id": "VARCHAR", "srcaddr": "VARCHAR",
    "dstaddr": "VARCHAR", "srcport": "INTEGER", "dstport": "INTEGER", "protocol": "BIGINT",
    "packets": "BIGINT", "bytes": "BIGINT", "start": "BIGINT", "end": "BIGINT", "action": "VARCHAR",
    "log_status": "VARCHAR",
}  # fmt: skip


def query(folder: str, start: int, end: int) -> str:
    columns = "{" + ", ".join(f"'{k}': '{v}'" for k, v in COLUMNS.items()) + "}"
    return f"""
        SELECT srcaddr, dstaddr, sum(bytes) AS bytes, sum(packets) AS packets,
               count(*) AS flows
        FROM read_csv('{folder}/AWSLogs/**/*.log.gz', delim = ' ', header = true, nullstr = '-',
                      compression = 'gzip', auto_detect = false, columns = {columns})
        WHERE start >= {start} AND start < {end} AND log_status = 'OK'
        GROUP BY srcaddr, dstaddr
        ORDER BY bytes DESC, packets DESC, srcaddr, dstaddr
        LIMIT 20"""


def main() -> None:
    folder, start, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rows = duckdb.connect().execute(query(folder, start, end)).fetchall()
    print(json.dumps([list(r) for r in rows]))


if __name__ == "__main__":
    main()
