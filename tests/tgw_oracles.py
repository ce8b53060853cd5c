"""Plain-Python answers for the transit gateway investigations, from records read straight out of
the gzip text files (gzip + split, the header line naming the fields). Nothing here comes from
flowsql: the SQL semantics (NULLs never compare true, counting skips NULLs) are written out, and a
'-' reads the way Athena's text table reads it: NULL in a number column, the string '-' otherwise."""

from __future__ import annotations

import gzip
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

Record = dict[str, Any]
Row = tuple[Any, ...]

INTEGER_FIELDS = {
    "version", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end", "tcp_flags",
    "packets_lost_no_route", "packets_lost_blackhole", "packets_lost_mtu_exceeded", "packets_lost_ttl_expired",
}  # fmt: skip
LOST = (
    "packets_lost_no_route",
    "packets_lost_blackhole",
    "packets_lost_mtu_exceeded",
    "packets_lost_ttl_expired",
)

ORACLES: dict[str, Callable[[Sequence[Record], dict[str, Any]], list[Row]]] = {}


def oracle(func: Callable[..., list[Row]]) -> Callable[..., list[Row]]:
    ORACLES[func.__name__] = func
    return func


def read_folder(folder: Path) -> list[Record]:
    """Every record of every .log.gz file under folder/AWSLogs ('-' is None in number columns)."""
    out: list[Record] = []
    for path in sorted((folder / "AWSLogs").rglob("*.log.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            names = [n.replace("-", "_") for n in fh.readline().split()]
            for line in fh:
                cells = line.split()
                assert len(cells) == len(names), path
                out.append(
                    {
                        n: (None if c == "-" else int(c)) if n in INTEGER_FIELDS else c
                        for n, c in zip(names, cells, strict=True)
                    }
                )
    return out


def _window(records: Iterable[Record], params: dict[str, Any]) -> list[Record]:
    low, high = int(params["start"].timestamp()), int(params["end"].timestamp())
    return [
        r for r in records if r["start"] is not None and low <= r["start"] < high and r["log_status"] == "OK"
    ]


def _value(text: str | None) -> bool:
    """`column <> '-'` is true: not NULL (Parquet's empty value) and not '-' (the text file's)."""
    return text is not None and text != "-"


def _gt0(value: int | None) -> bool:
    return value is not None and value > 0


@oracle
def tgw_drops(records: Sequence[Record], params: dict[str, Any]) -> list[Row]:
    groups: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for r in _window(records, params):
        if not any(_gt0(r[k]) for k in LOST):
            continue
        acc = groups[(r["tgw_id"], r["tgw_attachment_id"])]
        for i, k in enumerate(LOST):
            acc[i] += r[k] or 0
        acc[4] += 1
    rows = [(t, a, *v[:4], sum(v[:4]), v[4]) for (t, a), v in groups.items()]
    rows.sort(key=lambda r: (-r[6], -r[7], r[0], r[1]))
    return rows[: params.get("limit", 50)]


@oracle
def tgw_top_attachment_pairs(records: Sequence[Record], params: dict[str, Any]) -> list[Row]:
    groups: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in _window(records, params):
        if r["flow_direction"] != "ingress" or not _value(r["tgw_pair_attachment_id"]):
            continue
        acc = groups[(r["tgw_attachment_id"], r["tgw_pair_attachment_id"])]
        acc[0] += r["bytes"]
        acc[1] += r["packets"]
        acc[2] += 1
    rows = [(a, b, *v) for (a, b), v in groups.items()]
    rows.sort(key=lambda r: (-r[2], -r[3], r[0], r[1]))
    return rows[: params.get("limit", 20)]


@oracle
def tgw_cross_account_traffic(records: Sequence[Record], params: dict[str, Any]) -> list[Row]:
    groups: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, 0, 0, set()])
    for r in _window(records, params):
        src, dst = r["tgw_src_vpc_account_id"], r["tgw_dst_vpc_account_id"]
        pair = r["tgw_pair_attachment_id"]
        if (
            r["flow_direction"] != "ingress"
            or not (_value(src) and _value(dst) and _value(pair))
            or src == dst
        ):
            continue
        acc = groups[(src, dst)]
        acc[0] += r["bytes"]
        acc[1] += r["packets"]
        acc[2] += 1
        if r["tgw_attachment_id"] is not None:
            acc[3].add((r["tgw_attachment_id"], pair))
    rows = [(s, d, v[0], v[1], v[2], len(v[3])) for (s, d), v in groups.items()]
    rows.sort(key=lambda r: (-r[2], -r[4], r[0], r[1]))
    return rows[: params.get("limit", 50)]


def window(start: datetime, end: datetime, **params: Any) -> dict[str, Any]:
    return {"start": start, "end": end, **params}
