"""Published Athena SQL over VPC flow logs, run on the DuckDB engine and checked against Athena's answer.

The statements are data files in tests/published/ (AWS's Athena User Guide, the VPC console's Athena
integration named queries, awslabs/aws-security-analytics-bootstrap), adapted in table, column and
partition names, and for the Athena User Guide's also in the partition predicate (its `date` partition is
DATE-typed, flowsql's a string; its dates are placeholders); each file's comment says what. Each runs through the public API (`flowsql.connect(...).sql(...)`) over two folders of
gzip text flow logs in AWS's default layout:

- "aws_examples": the records of the VPC User Guide's "Flow log record examples" (default-format files
  and a v5 custom-format file), and
- "synthetic": ~5,000 records from a seeded generator written here, with `-` in string and numeric
  fields, IPv6, NODATA/SKIPDATA, and files in two formats.

The expected answer is computed in plain Python from the files themselves, read the way Athena's text
table reads them (LazySimpleSerDe, positional): a `-` in a numeric column is NULL, in a string column
it is the string '-'; a line shorter than the table leaves the later columns NULL. SQL's three-valued
logic, aggregates skipping NULLs, NULLS LAST for ASC and DESC (Trino's default), array_agg keeping
NULLs, from_unixtime in UTC.

flowsql returns a string `-` verbatim, as Athena does (README, "What `-` means in a result"), so
cells are compared as they are: a '-' and a NULL are different answers.

A statement passes when it gives that answer, or when flowsql refuses it with an error that names the
construct (a fragment of the statement quoted in the message). No xfail, no skip.
"""

from __future__ import annotations

import gzip
import hashlib
import ipaddress
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import flowsql

HERE = Path(__file__).parent / "published"
STATEMENTS = sorted(HERE.glob("*.sql"))
UTC = timezone.utc

# The table: the v2-v5 fields in the order AWS's own Athena DDL lists them. (name, numeric?)
FIELDS: list[tuple[str, bool]] = [
    ("version", True), ("account-id", False), ("interface-id", False), ("srcaddr", False),
    ("dstaddr", False), ("srcport", True), ("dstport", True), ("protocol", True), ("packets", True),
    ("bytes", True), ("start", True), ("end", True), ("action", False), ("log-status", False),
    ("vpc-id", False), ("subnet-id", False), ("instance-id", False), ("tcp-flags", True),
    ("type", False), ("pkt-srcaddr", False), ("pkt-dstaddr", False), ("region", False),
    ("az-id", False), ("sublocation-type", False), ("sublocation-id", False),
    ("pkt-src-aws-service", False), ("pkt-dst-aws-service", False), ("flow-direction", False),
    ("traffic-path", True),
]  # fmt: skip
NAMES = [name for name, _ in FIELDS]
COLUMNS = [name.replace("-", "_") for name in NAMES]
NUMERIC = {name.replace("-", "_") for name, numeric in FIELDS if numeric}
DEFAULT_NAMES = NAMES[:14]
LOG_FORMAT = " ".join("${" + name + "}" for name in NAMES)
PARTITIONS = ["account_partition", "region_partition", "date_partition"]
STAR = COLUMNS + PARTITIONS


# --- the records ------------------------------------------------------------------------------------


@dataclass
class Record:
    account: str  # the folder's account and Region (where AWS would deliver it)
    region: str
    names: list[str]  # the file's format
    tokens: list[str]

    @property
    def end(self) -> int:
        return int(self.tokens[self.names.index("end")])


def _v5(**values: str) -> list[str]:
    """A v5-format line; fields an example does not give are `-`, as AWS writes an absent value."""
    return [values.get(name.replace("-", "_"), "-") for name in NAMES]


def aws_example_records() -> list[Record]:
    """The VPC User Guide's flow log record examples. Default-format ones as printed; the custom-format
    ones (TCP flags, NAT gateway, transit gateway, S3 with v5 fields) rewritten in this table's v5
    order, fields the example omits written `-` (start/end/bytes for the NAT and transit gateway
    examples are filled in so the records have a delivery time and something to sum)."""
    acct, region = "123456789010", "us-east-1"
    default = [
        "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
        "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK",
        "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA",
        "2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA",
        "2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK",
        "2 123456789010 eni-1235b8ca123456789 172.31.16.139 203.0.113.12 0 0 1 4 336 1432917094 1432917142 REJECT OK",
        "2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 REJECT OK",
        "2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK",
    ]  # fmt: skip
    records = [Record(acct, region, DEFAULT_NAMES, line.split(" ")) for line in default]
    tcp = dict(
        version="3", vpc_id="vpc-abcdefab012345678", subnet_id="subnet-aaaaaaaa012345678",
        instance_id="i-01234567890123456", interface_id="eni-1235b8ca123456789", account_id="123456789010",
        type="IPv4", protocol="6", action="ACCEPT", log_status="OK",
    )  # fmt: skip
    custom = [
        _v5(**tcp, srcaddr="52.213.180.42", dstaddr="10.0.0.62", srcport="43416", dstport="5001",
            pkt_srcaddr="52.213.180.42", pkt_dstaddr="10.0.0.62", bytes="568", packets="8",
            start="1566848875", end="1566848933", tcp_flags="2"),
        _v5(**tcp, srcaddr="10.0.0.62", dstaddr="52.213.180.42", srcport="5001", dstport="43416",
            pkt_srcaddr="10.0.0.62", pkt_dstaddr="52.213.180.42", bytes="376", packets="7",
            start="1566848875", end="1566848933", tcp_flags="18"),
        _v5(**tcp, srcaddr="10.0.0.62", dstaddr="52.213.180.42", srcport="5001", dstport="43418",
            pkt_srcaddr="10.0.0.62", pkt_dstaddr="52.213.180.42", bytes="63388", packets="1219",
            start="1566848933", end="1566849113", tcp_flags="1"),
        # NAT gateway: instance to NAT gateway, NAT gateway to the internet (requester-managed ENI: `-`)
        _v5(version="3", account_id="123456789010", instance_id="-", interface_id="eni-1235b8ca123456789",
            srcaddr="10.0.1.5", dstaddr="10.0.0.220", pkt_srcaddr="10.0.1.5", pkt_dstaddr="203.0.113.5",
            start="1566848875", end="1566848933", bytes="1000", action="ACCEPT", log_status="OK"),
        _v5(version="3", account_id="123456789010", instance_id="-", interface_id="eni-1235b8ca123456789",
            srcaddr="10.0.0.220", dstaddr="203.0.113.5", pkt_srcaddr="10.0.0.220", pkt_dstaddr="203.0.113.5",
            start="1566848875", end="1566848933", bytes="1000", action="ACCEPT", log_status="OK"),
        # transit gateway attachment ENI
        _v5(version="3", interface_id="eni-33333333333333333", account_id="123456789010",
            vpc_id="vpc-abcdefab012345678", subnet_id="subnet-22222222bbbbbbbbb", instance_id="-",
            srcaddr="10.40.1.175", dstaddr="10.40.2.236", srcport="39812", dstport="80", protocol="6",
            tcp_flags="3", type="IPv4", pkt_srcaddr="10.20.33.164", pkt_dstaddr="10.40.2.236",
            start="1566848875", end="1566848933", bytes="2000", action="ACCEPT", log_status="OK"),
    ]  # fmt: skip
    records += [Record(acct, region, NAMES, tokens) for tokens in custom]
    s3 = [
        "5 52.95.128.179 10.0.0.71 80 34210 6 1616729292 1616729349 IPv4 14 15044 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 19 52.95.128.179 10.0.0.71 S3 - - ingress OK",
        "5 10.0.0.71 52.95.128.179 34210 80 6 1616729292 1616729349 IPv4 7 471 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 3 10.0.0.71 52.95.128.179 - S3 8 egress OK",
    ]  # fmt: skip
    order = [
        "version",
        "srcaddr",
        "dstaddr",
        "srcport",
        "dstport",
        "protocol",
        "start",
        "end",
        "type",
        "packets",
        "bytes",
        "account-id",
        "vpc-id",
        "subnet-id",
        "instance-id",
        "interface-id",
        "region",
        "az-id",
        "sublocation-type",
        "sublocation-id",
        "action",
        "tcp-flags",
        "pkt-srcaddr",
        "pkt-dstaddr",
        "pkt-src-aws-service",
        "pkt-dst-aws-service",
        "traffic-path",
        "flow-direction",
        "log-status",
    ]
    for line in s3:
        given = dict(zip(order, line.split(" "), strict=True))
        records.append(Record("123456789012", "ap-southeast-2", NAMES, [given[n] for n in NAMES]))
    return records


_INTERNAL = [
    "10.0.1.14", "10.117.1.22", "10.117.5.9", "10.0.0.0", "10.255.255.255", "172.16.3.4", "172.31.200.7",
    "172.20.0.5", "192.168.1.10", "192.0.2.1", "192.0.2.254", "192.0.2.17", "192.0.2.200",
]  # fmt: skip
_EXTERNAL = ["203.0.113.2", "198.51.100.7", "52.95.128.179", "8.8.8.8", "172.32.0.1", "11.0.0.1"]
_V6 = ["2001:db8::1", "2001:db8:1234:a100::5", "2001:db8:1234:a102::9", "fe80::1"]
_DAYS = [date(2020, 6, 30), date(2020, 7, 1), date(2020, 7, 15), date(2020, 7, 27), date(2020, 7, 28)]
_DAYS += [date(2020, 7, 31), date(2020, 8, 1)]


def synthetic_records(seed: int = 20200715, count: int = 5000) -> list[Record]:
    """Seeded random records, mostly in account 111122223333 in July 2020 (the bootstrap's defaults)."""
    rnd = random.Random(seed)
    pick = rnd.choice
    records = []
    for i in range(count):
        account = pick(["111122223333"] * 8 + ["444455556666", "999988887777"])
        region = pick(["us-east-1", "us-east-2", "us-west-2", "eu-west-1"])
        day = pick(_DAYS)
        # Two busy spells a day (10:00-10:15 and the last minutes before midnight, whose records can end
        # on the next day): few 5-minute files, as one flow log of a few interfaces would write.
        midnight = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
        start = midnight + (36000 + rnd.randrange(900) if rnd.random() < 0.9 else 86100 + rnd.randrange(300))
        end = start + rnd.randrange(1, 600)
        six = rnd.random() < 0.08
        if six:
            src, dst, kind = pick(_V6), pick(_V6), "IPv6"
        elif rnd.random() < 0.5:
            src, dst, kind = pick(_INTERNAL), pick(_INTERNAL + _EXTERNAL), "IPv4"
        else:
            src, dst, kind = pick(_EXTERNAL + _INTERNAL), pick(_INTERNAL), "IPv4"
        protocol = pick(["6"] * 7 + ["17", "17", "58" if six else "1"])
        common = [22, 3389, 443, 80, 53, 5432, 8080, 1433]
        sport = str(pick(common) if rnd.random() < 0.3 else rnd.randrange(1024, 65536))
        dport = str(pick(common) if rnd.random() < 0.6 else rnd.randrange(1024, 65536))
        if protocol in ("1", "58"):
            sport = dport = "0"
        packets = rnd.randrange(1, 500)
        nbytes = packets * rnd.randrange(40, 9001)
        direction = pick(["ingress", "egress"])
        v = {
            "version": "5",
            "account_id": account,
            "interface_id": f"eni-{rnd.randrange(16**4):04x}b8ca123456789",
            "srcaddr": src,
            "dstaddr": dst,
            "srcport": sport,
            "dstport": dport,
            "protocol": protocol,
            "packets": str(packets),
            "bytes": str(nbytes),
            "start": str(start),
            "end": str(end),
            "action": pick(["ACCEPT"] * 3 + ["REJECT"]),
            "log_status": "OK",
            "vpc_id": pick(["vpc-abcdefab012345678", "vpc-0123456789abcdef0", "-"]),
            "subnet_id": pick(["subnet-aaaaaaaa012345678", "subnet-22222222bbbbbbbbb", "-"]),
            "instance_id": pick(
                ["i-000000000000000"] * 3 + ["i-0c50d5961bcb2d47b", "i-01234567890123456", "-"]
            ),
            "tcp_flags": pick(["0", "2", "18", "1", "3", "19", "-"]) if protocol == "6" else "0",
            "type": kind,
            "pkt_srcaddr": src if rnd.random() < 0.8 else pick(_EXTERNAL),
            "pkt_dstaddr": dst,
            "region": pick([region, region, "-"]),
            "az_id": pick(["use1-az1", "use2-az2", "-"]),
            "sublocation_type": pick(["-"] * 6 + ["outpost"]),
            "sublocation_id": pick(["-"] * 6 + ["op-0123456789abcdef0"]),
            "pkt_src_aws_service": pick(["-"] * 5 + ["S3", "AMAZON"]),
            "pkt_dst_aws_service": pick(["-"] * 5 + ["DYNAMODB", "EC2"]),
            "flow_direction": direction,
            "traffic_path": pick(["1", "2", "8"]) if direction == "egress" else "-",
        }
        status = rnd.random()
        if status < 0.03:
            for key in ("srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "action"):
                v[key] = "-"
            for key in ("pkt_srcaddr", "pkt_dstaddr", "tcp_flags", "type"):
                v[key] = "-"
            v["log_status"] = pick(["NODATA", "SKIPDATA"])
        tokens = [v[c] for c in COLUMNS]
        if i % 10 == 0:  # some files in the default format (the later columns are absent: NULL)
            tokens[0] = "2"
            records.append(Record(account, region, DEFAULT_NAMES, tokens[:14]))
        else:
            records.append(Record(account, region, NAMES, tokens))
    return records


def write_flow_logs(root: Path, records: Iterable[Record]) -> None:
    """gzip text files in AWS's default layout, one per account, Region, format and 5-minute window of
    the records' end times; each begins with the header line of hyphenated field names."""
    files: dict[tuple[str, str, tuple[str, ...], int], list[Record]] = {}
    for record in records:
        slot = record.end - record.end % 300
        files.setdefault((record.account, record.region, tuple(record.names), slot), []).append(record)
    for (account, region, names, slot), group in sorted(files.items()):
        when = datetime.fromtimestamp(slot, UTC)
        body = "\n".join([" ".join(names), *(" ".join(r.tokens) for r in group)]) + "\n"
        digest = hashlib.sha1(body.encode()).hexdigest()[:8]
        flow_log = "fl-1234abcd" if len(names) == len(NAMES) else "fl-5678ef01"
        folder = root / "AWSLogs" / account / "vpcflowlogs" / region / when.strftime("%Y/%m/%d")
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{account}_vpcflowlogs_{region}_{flow_log}_{when:%Y%m%dT%H%M}Z_{digest}.log.gz"
        (folder / name).write_bytes(gzip.compress(body.encode()))


# --- Athena's reading of those files -----------------------------------------------------------------

_PATH = re.compile(r"AWSLogs/([^/]+)/vpcflowlogs/([^/]+)/(\d{4}/\d{2}/\d{2})/[^/]+\.log\.gz$")


def athena_rows(root: Path) -> list[dict[str, Any]]:
    """Every row of the table as Athena's text SerDe gives it: header line skipped, fields taken by
    position, `-` (or anything not a number) NULL in numeric columns, a string kept as written, columns
    past the end of a line NULL; partition values from the path."""
    rows = []
    for path in sorted(root.rglob("*.log.gz")):
        found = _PATH.search(path.as_posix())
        assert found, path
        lines = gzip.decompress(path.read_bytes()).decode().splitlines()[1:]
        for line in lines:
            tokens = line.split(" ")
            row: dict[str, Any] = {}
            for i, column in enumerate(COLUMNS):
                text = tokens[i] if i < len(tokens) else None
                if text is not None and column in NUMERIC:
                    text = int(text) if re.fullmatch(r"-?\d+", text) else None
                row[column] = text
            row.update(zip(PARTITIONS, found.groups(), strict=True))
            rows.append(row)
    return rows


# --- SQL semantics in plain Python ------------------------------------------------------------------


def eq(a: Any, b: Any) -> bool | None:
    return None if a is None or b is None else a == b


def lt(a: Any, b: Any) -> bool | None:
    return None if a is None or b is None else a < b


def gt(a: Any, b: Any) -> bool | None:
    return None if a is None or b is None else a > b


def isin(a: Any, values: Iterable[Any]) -> bool | None:
    return None if a is None else a in set(values)


def and3(*terms: bool | None) -> bool | None:
    if any(t is False for t in terms):
        return False
    return None if any(t is None for t in terms) else True


def or3(*terms: bool | None) -> bool | None:
    if any(t is True for t in terms):
        return True
    return None if any(t is None for t in terms) else False


def not3(term: bool | None) -> bool | None:
    return None if term is None else not term


def where(rows: list[dict[str, Any]], predicate: Callable[[dict[str, Any]], bool | None]) -> list[dict]:
    return [r for r in rows if predicate(r) is True]


def group(rows: list[dict[str, Any]], *keys: str) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in keys), []).append(r)
    return groups


def sum_(values: Iterable[Any]) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def min_(values: Iterable[Any]) -> Any:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def max_(values: Iterable[Any]) -> Any:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def from_unixtime(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def to_iso8601(stamp: datetime | None) -> str | None:
    """Trino's to_iso8601 of from_unixtime(x), a timestamp(3) with time zone UTC."""
    return (
        None if stamp is None else stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
    )


def split_part(text: str | None, sep: str, index: int) -> str | None:
    if text is None:
        return None
    parts = text.split(sep)
    return parts[index - 1] if index <= len(parts) else None


def ipaddress_value(text: str) -> int:
    """CAST(x AS IPADDRESS) as Trino orders it: IPv4 as its IPv4-mapped IPv6 address."""
    address = ipaddress.ip_address(text)
    if address.version == 4:
        return (0xFFFF << 32) | int(address)
    return int(address)


def contains_cidr(cidr: str, text: str) -> bool:
    network = ipaddress.ip_network(cidr)
    address = ipaddress.ip_address(text)
    return address.version == network.version and address in network


def ymd(day: date) -> str:
    return day.strftime("%Y/%m/%d")


@dataclass
class Expect:
    """Athena's answer: the columns, every qualifying row in the statement's order, and the order
    (column, 'asc'|'desc') and LIMIT that decide which of them come back. `unordered` columns are
    arrays whose element order SQL leaves open. `error` names what Athena itself fails on."""

    columns: list[str]
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    order: list[tuple[str, str]] = field(default_factory=list)
    limit: int | None = None
    unordered: tuple[str, ...] = ()
    error: str | None = None


def star(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [tuple(r[c] for c in STAR) for r in rows]


def pick(rows: list[dict[str, Any]], *columns: str) -> list[tuple[Any, ...]]:
    return [tuple(r[c] for c in columns) for r in rows]


def sort_rows(expect: Expect) -> Expect:
    index = {c: i for i, c in enumerate(expect.columns)}
    expect.rows.sort(key=lambda row: _order_key(row, expect.order, index))
    return expect


def _order_key(row: tuple[Any, ...], order: list[tuple[str, str]], index: dict[str, int]) -> tuple:
    key: list[Any] = []
    for column, direction in order:
        value = row[index[column]]
        if value is None:
            key.append((1, 0))  # NULLS LAST, ascending and descending alike
        elif direction == "desc":
            key.append((0, -value))  # only numbers are sorted descending here
        else:
            key.append((0, value))
    return tuple(key)


# --- the oracles, one per statement -----------------------------------------------------------------

JULY = ("2020/07/01", "2020/07/31")


def in_bootstrap_scope(r: dict[str, Any]) -> bool:
    """The bootstrap's default partition constraints."""
    return (
        JULY[0] <= r["date_partition"] <= JULY[1]
        and r["account_partition"] == "111122223333"
        and r["region_partition"] in ("us-east-1", "us-east-2", "us-west-2")
    )


def july_open(r: dict[str, Any]) -> bool:
    """date_partition >= '2020/07/01' AND date_partition < '2020/07/31'."""
    return JULY[0] <= r["date_partition"] < JULY[1]


def _top_sum(rows: list[dict], key: str, value: str, name: str, limit: int, direction: str) -> Expect:
    out = [(sum_(r[value] for r in members), k[0]) for k, members in group(rows, key).items()]
    return sort_rows(Expect([name, key], out, [(name, direction)], limit))


def o_athena_ug_01(rows: list[dict]) -> Expect:
    return Expect(STAR, star(where(rows, lambda r: r["date_partition"] == "2020/07/15")), limit=100)


def o_athena_ug_02(rows: list[dict]) -> Expect:
    hits = where(rows, lambda r: and3(eq(r["action"], "REJECT"), eq(r["protocol"], 6)))
    out = [
        (
            datetime.strptime(r["date_partition"], "%Y/%m/%d").isoweekday(),
            r["date_partition"],
            r["interface_id"],
            r["srcaddr"],
            r["action"],
            r["protocol"],
        )
        for r in hits
    ]
    columns = ["day", "date_partition", "interface_id", "srcaddr", "action", "protocol"]
    return Expect(columns, out, limit=100)


def o_athena_ug_03(rows: list[dict]) -> Expect:
    since = ymd(datetime.now(UTC).date() - timedelta(days=7))
    hits = where(rows, lambda r: and3(eq(r["dstport"], 443), r["date_partition"] > since))
    return _top_sum(hits, "dstaddr", "packets", "packetcount", 10, "desc")


def o_athena_pp_01(rows: list[dict]) -> Expect:
    hits = where(rows, lambda r: "2020/07/01" <= r["date_partition"] < "2020/07/28")
    return sort_rows(Expect(STAR, star(hits), [("date_partition", "asc")], 100))


def o_athena_pp_02(rows: list[dict]) -> Expect:
    hits = where(rows, lambda r: and3(eq(r["dstport"], 443), july_open(r)))
    return _top_sum(hits, "dstaddr", "packets", "packetcount", 10, "desc")


def o_athena_pp_03(rows: list[dict]) -> Expect:
    out = [
        (
            r["interface_id"],
            r["srcaddr"],
            r["action"],
            r["protocol"],
            to_iso8601(from_unixtime(r["start"])),
            to_iso8601(from_unixtime(r["end"])),
        )
        for r in where(rows, july_open)
    ]
    return Expect(["interface_id", "srcaddr", "action", "protocol", "start_time", "end_time"], out)


def o_athena_pp_04(rows: list[dict]) -> Expect:
    return Expect(STAR, star(where(rows, lambda r: and3(eq(r["srcaddr"], "10.117.1.22"), july_open(r)))))


def o_athena_pp_05(rows: list[dict]) -> Expect:
    hits = where(rows, lambda r: and3(eq(r["action"], "REJECT"), eq(r["protocol"], 6), july_open(r)))
    columns = ["date_partition", "interface_id", "srcaddr", "action", "protocol"]
    return Expect(columns, pick(hits, *columns), limit=10)


def o_athena_pp_06(rows: list[dict]) -> Expect:
    hits = where(
        rows,
        lambda r: and3(
            eq(split_part(r["srcaddr"], ".", 1), "10"), eq(split_part(r["srcaddr"], ".", 2), "117")
        ),
    )
    return Expect(STAR, star(hits))


def o_athena_pp_07(rows: list[dict]) -> Expect:
    return Expect(STAR, star(where(rows, lambda r: and3(eq(r["dstaddr"], "10.0.1.14"), july_open(r)))))


def o_console_01(rows: list[dict]) -> Expect:
    out = [(sum_(r["bytes"] for r in m), k[0], k[1]) for k, m in group(rows, "srcaddr", "dstaddr").items()]
    return sort_rows(Expect(["totalbytes", "srcaddr", "dstaddr"], out, [("totalbytes", "asc")], 50))


def o_console_02(rows: list[dict]) -> Expect:
    hits = where(rows, lambda r: or3(isin(r["srcport"], (22, 3389)), isin(r["dstport"], (22, 3389))))
    return sort_rows(Expect(STAR, star(hits), [("start", "asc")], 50))


def o_console_03(rows: list[dict]) -> Expect:
    hits = where(rows, lambda r: eq(r["action"], "REJECT"))
    out = [(k[0], k[1], len(m), k[2]) for k, m in group(hits, "srcaddr", "dstaddr", "action").items()]
    return sort_rows(Expect(["srcaddr", "dstaddr", "count", "action"], out, [("count", "desc")], 25))


def o_console_04(rows: list[dict]) -> Expect:
    inner = [(k[0], sum_(r["bytes"] for r in m)) for k, m in group(rows, "dstaddr").items()]
    inner += [(k[0], sum_(r["bytes"] for r in m)) for k, m in group(rows, "srcaddr").items()]
    totals: dict[Any, list[Any]] = {}
    for ip, nbytes in inner:
        totals.setdefault(ip, []).append(nbytes)
    out = [(ip, sum_(values)) for ip, values in totals.items()]
    return sort_rows(Expect(["ip", "total_bytes"], out, [("total_bytes", "desc")], 10))


def _preview(predicate: Callable[[dict], bool | None]) -> Callable[[list[dict]], Expect]:
    return lambda rows: Expect(STAR, star(where(rows, predicate)), limit=10)


o_bootstrap_01 = _preview(lambda r: True)
o_bootstrap_02 = _preview(lambda r: r["account_partition"] == "111122223333")
o_bootstrap_03 = _preview(
    lambda r: r["account_partition"] in ("111122223333", "444455556666", "123456789012")
)
o_bootstrap_04 = _preview(lambda r: r["region_partition"] == "us-east-1")
o_bootstrap_05 = _preview(lambda r: r["region_partition"] in ("us-east-1", "us-east-2", "us-west-2"))
o_bootstrap_06 = _preview(lambda r: JULY[0] <= r["date_partition"] <= JULY[1])
o_bootstrap_08 = _preview(in_bootstrap_scope)


def o_bootstrap_07(rows: list[dict]) -> Expect:
    since = ymd(datetime.now(UTC).date() - timedelta(days=30))
    return Expect(STAR, star(where(rows, lambda r: r["date_partition"] >= since)), limit=10)


def _grouped_sum(
    rows: list[dict], keys: tuple[str, ...], name: str, fn: Callable[[list[dict]], Any]
) -> Expect:
    out = [(*k, fn(m)) for k, m in group(rows, *keys).items()]
    return sort_rows(Expect([*keys, name], out, [(name, "desc")]))


def o_bootstrap_09(rows: list[dict]) -> Expect:
    keys = ("region", "instance_id", "srcaddr", "dstaddr")
    return _grouped_sum(where(rows, in_bootstrap_scope), keys, "record_count", len)


def _bytes(members: list[dict]) -> int | None:
    return sum_(r["bytes"] for r in members)


def o_bootstrap_10(rows: list[dict]) -> Expect:
    def predicate(r: dict) -> bool | None:
        return and3(
            or3(eq(r["srcaddr"], "192.0.2.1"), eq(r["dstaddr"], "192.0.2.1")),
            or3(eq(r["srcaddr"], "203.0.113.2"), eq(r["dstaddr"], "203.0.113.2")),
            in_bootstrap_scope(r),
        )

    keys = ("region", "instance_id", "srcaddr", "dstaddr")
    return _grouped_sum(where(rows, predicate), keys, "byte_count", _bytes)


def o_bootstrap_11(rows: list[dict]) -> Expect:
    hits = where(
        rows,
        lambda r: and3(
            eq(r["instance_id"], "i-000000000000000"), eq(r["srcport"], 443), in_bootstrap_scope(r)
        ),
    )
    return _grouped_sum(
        hits, ("region", "instance_id", "srcaddr", "srcport", "dstaddr"), "byte_count", _bytes
    )


def o_bootstrap_12(rows: list[dict]) -> Expect:
    hits = where(
        rows,
        lambda r: and3(
            eq(r["instance_id"], "i-000000000000000"), eq(r["dstport"], 443), in_bootstrap_scope(r)
        ),
    )
    return _grouped_sum(
        hits, ("region", "instance_id", "srcaddr", "dstaddr", "dstport"), "byte_count", _bytes
    )


def o_bootstrap_13(rows: list[dict]) -> Expect:
    hits = where(
        rows,
        lambda r: and3(
            or3(eq(r["srcaddr"], "192.0.2.1"), eq(r["dstaddr"], "192.0.2.1")), in_bootstrap_scope(r)
        ),
    )
    return _grouped_sum(hits, ("srcaddr", "dstaddr", "srcport", "dstport"), "byte_count", _bytes)


def o_bootstrap_14(rows: list[dict]) -> Expect:
    def predicate(r: dict) -> bool | None:
        return or3(
            and3(eq(r["srcaddr"], "192.0.2.1"), eq(r["dstaddr"], "192.0.2.254")),
            and3(eq(r["srcaddr"], "192.0.2.254"), eq(r["dstaddr"], "192.0.2.1")),
        )

    columns = ["start_time", "end_time", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport"]
    columns += ["packets", "bytes", "flow_direction", "action"]
    out = [
        (from_unixtime(r["start"]), from_unixtime(r["end"]), *tuple(r[c] for c in columns[2:]))
        for r in where(rows, predicate)
    ]
    return sort_rows(Expect(columns, out, [("start_time", "asc")]))


def o_bootstrap_15(rows: list[dict]) -> Expect:
    hits = where(rows, lambda r: and3(lt(r["dstport"], 32768), in_bootstrap_scope(r)))
    out = []
    for (src,), m in group(hits, "srcaddr").items():
        arrays = tuple(list(dict.fromkeys(r[c] for r in m)) for c in ("dstaddr", "instance_id", "dstport"))
        out.append((src, min_(r["start"] for r in m), max_(r["end"] for r in m), *arrays))
    columns = ["srcaddr", "first_seen", "last_seen", "_col3", "_col4", "_col5"]
    return sort_rows(Expect(columns, out, [("first_seen", "asc")], unordered=("_col3", "_col4", "_col5")))


def o_bootstrap_16(rows: list[dict]) -> Expect:
    return Expect([], error="event_date")


_PRIVATE = [
    ("10.0.0.0", "10.255.255.255"),
    ("172.16.0.0", "172.31.255.255"),
    ("192.168.0.0", "192.168.255.255"),
]


def _private(text: str) -> bool:
    value = ipaddress_value(text)
    return any(ipaddress_value(low) < value < ipaddress_value(high) for low, high in _PRIVATE)


def o_bootstrap_17(rows: list[dict]) -> Expect:
    def predicate(r: dict) -> bool | None:
        if r["log_status"] != "OK" or not in_bootstrap_scope(r):
            return False
        src, dst = _private(r["srcaddr"]), _private(r["dstaddr"])
        return (not src and dst) or (not dst and src)

    return Expect(STAR, star(where(rows, predicate)))


def _internal(r: dict) -> bool:
    return contains_cidr("172.16.0.0/12", r["srcaddr"]) and contains_cidr("172.16.0.0/12", r["dstaddr"])


def o_bootstrap_18(rows: list[dict]) -> Expect:
    return Expect(
        STAR, star(where(rows, lambda r: r["log_status"] == "OK" and in_bootstrap_scope(r) and _internal(r)))
    )


def o_bootstrap_19(rows: list[dict]) -> Expect:
    hits = where(rows, lambda r: r["log_status"] == "OK" and in_bootstrap_scope(r) and not _internal(r))
    return Expect(STAR, star(hits))


def oracle_for(path: Path) -> Callable[[list[dict]], Expect]:
    """athena_ug_02_rejected_tcp_day_of_week.sql -> o_athena_ug_02"""
    found = re.match(r"(.+?_\d\d)_", path.stem)
    assert found, path.name
    return globals()["o_" + found.group(1)]


# --- comparing ----------------------------------------------------------------------------------------


def present(value: Any) -> Any:
    """A cell as compared: values as they are ('-' stays '-', as both engines return it); arrays
    become tuples."""
    if isinstance(value, list | tuple):
        return tuple(present(v) for v in value)
    return value


def _normal(row: Iterable[Any], columns: list[str], unordered: tuple[str, ...]) -> tuple[Any, ...]:
    out = []
    for column, value in zip(columns, row, strict=True):
        value = present(value)
        if column in unordered and value is not None:
            value = tuple(sorted(value, key=repr))
        out.append(value)
    return tuple(out)


def _show(rows: Iterable[tuple[Any, ...]], most: int = 5) -> str:
    rows = list(rows)
    text = "; ".join(repr(r) for r in rows[:most])
    return text + (f"; … {len(rows) - most} more" if len(rows) > most else "")


def differences(expect: Expect, columns: list[str], actual: list[tuple[Any, ...]]) -> list[str]:
    """What differs between Athena's answer and the rows flowsql returned (empty when they agree)."""
    if list(columns) != expect.columns:
        return [f"columns {list(columns)} != Athena's {expect.columns}"]
    want = [_normal(r, expect.columns, expect.unordered) for r in expect.rows]
    got = [_normal(r, expect.columns, expect.unordered) for r in actual]
    size = len(want) if expect.limit is None else min(expect.limit, len(want))
    problems = []
    if len(got) != size:
        problems.append(f"{len(got)} rows, Athena returns {size}")
    surplus = Counter(got) - Counter(want)
    if surplus:
        problems.append(f"rows Athena never returns: {_show(surplus.elements())}")
    if size == len(want) and not surplus:
        missing = Counter(want) - Counter(got)
        if missing:
            problems.append(f"rows missing: {_show(missing.elements())}")
    if expect.order and not problems:
        index = {c: i for i, c in enumerate(expect.columns)}
        keys_got = [_order_key(r, expect.order, index) for r in got]
        keys_want = [_order_key(r, expect.order, index) for r in want[:size]]
        if keys_got != keys_want:
            first = next(i for i, (a, b) in enumerate(zip(keys_got, keys_want, strict=True)) if a != b)
            problems.append(f"order differs from row {first}: got {got[first]!r}, Athena {want[first]!r}")
        by_key: dict[tuple, Counter] = {}
        for row, key in zip(want, (_order_key(r, expect.order, index) for r in want), strict=True):
            by_key.setdefault(key, Counter())[row] += 1
        for row, key in zip(got, keys_got, strict=True):
            if by_key.get(key, Counter())[row] < 1:
                problems.append(f"row {row!r} is not among Athena's rows with that sort key")
                break
    return problems


_QUOTED = re.compile(r"`([^`]+)`|'([^']+)'|\"([^\"]+)\"|\b([A-Za-z_][A-Za-z0-9_]*)\(\)")
_RUNTIME = {"QueryFailed", "BadFile", "EngineError"}
_KEYWORDS = {"select", "from", "where", "and", "not", "limit", "group", "order", "with", "union", "all"}


def _squash(text: str) -> str:
    return re.sub(r"[\s\"]+", "", text).lower()


def names_construct(error: BaseException, statement: str) -> bool:
    """A refusal names its construct: the message quotes a fragment (or a function name()) that
    occurs in the statement. A failure while running (an engine error) is not a refusal."""
    if _RUNTIME & {cls.__name__ for cls in type(error).__mro__}:
        return False
    body = _squash(statement)
    for match in _QUOTED.finditer(str(error)):
        fragment = next(g for g in match.groups() if g)
        squashed = _squash(fragment)
        if len(squashed) >= 3 and squashed not in _KEYWORDS and squashed in body:
            return True
    return False


def statement_text(path: Path) -> str:
    """The SQL of a statement file, without its leading comment block."""
    lines = path.read_text().splitlines()
    while lines and lines[0].startswith("--"):
        lines.pop(0)
    return "\n".join(lines).strip()


# --- the tests ---------------------------------------------------------------------------------------

DATASETS = {"aws_examples": aws_example_records, "synthetic": synthetic_records}


@dataclass
class Dataset:
    session: Any
    rows: list[dict[str, Any]]


@pytest.fixture(scope="module", params=sorted(DATASETS))
def dataset(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp(request.param)
    write_flow_logs(root, DATASETS[request.param]())
    session = flowsql.connect(engine="duckdb", location=str(root), log_format=LOG_FORMAT, layout="aws")
    yield Dataset(session, athena_rows(root))
    session.close()


def run_statement(data: Dataset, path: Path) -> tuple[bool, str]:
    """(passed, what happened) for one statement on one data set."""
    statement = statement_text(path)
    expect = oracle_for(path)(data.rows)
    try:
        result = data.session.sql(statement)
    except flowsql.FlowsqlError as error:
        if expect.error is not None:
            if expect.error in str(error):
                return True, f"refused, as Athena fails: {error}"
            return False, f"Athena fails on {expect.error}; flowsql's error does not name it: {error}"
        if names_construct(error, statement):
            return True, f"refused: {error}"
        return False, f"error that names no construct of the statement ({type(error).__name__}): {error}"
    if expect.error is not None:
        return False, f"returned {len(result)} rows; Athena fails on {expect.error}"
    problems = differences(expect, list(result.columns), [tuple(r) for r in result])
    if problems:
        return False, " | ".join(problems)
    return True, f"{len(result)} rows, as Athena"


def test_oracle_reads_dash_as_athena_does(tmp_path: Path) -> None:
    """The reading rules themselves, on AWS's NODATA example: '-' is a string in string columns."""
    write_flow_logs(tmp_path, aws_example_records())
    rows = [r for r in athena_rows(tmp_path) if r["log_status"] == "NODATA"]
    assert rows and rows[0]["srcaddr"] == "-" and rows[0]["action"] == "-"
    assert rows[0]["packets"] is None and rows[0]["srcport"] is None
    assert rows[0]["vpc_id"] is None  # a default-format line has no v3 columns at all
    nat = [r for r in athena_rows(tmp_path) if r["dstaddr"] == "10.0.0.220"]
    assert nat and nat[0]["instance_id"] == "-" and nat[0]["tcp_flags"] is None


def test_refusal_must_name_a_construct() -> None:
    statement = "SELECT array_agg(DISTINCT(dstaddr)) FROM flow_logs"
    assert names_construct(
        flowsql.FlowsqlError("output column `ARRAY_AGG(DISTINCT (dstaddr))` ..."), statement
    )
    assert not names_construct(flowsql.FlowsqlError("something went wrong"), statement)
    assert not names_construct(flowsql.FlowsqlError("'SELECT' is not allowed"), "SELECT 1 AS x FROM t")


def test_comparison_is_not_vacuous() -> None:
    """A '-' group merged with a NULL group, a wrong order and a wrong limit are all told apart."""
    expect = sort_rows(Expect(["k", "n"], [("-", 2), (None, 1), ("a", 3)], [("n", "desc")], 2))
    assert differences(expect, ["k", "n"], [("a", 3), ("-", 2)]) == []
    assert differences(expect, ["k", "n"], [("a", 3), (None, 3)])
    assert differences(expect, ["k", "n"], [("-", 2), ("a", 3)])
    assert differences(expect, ["k", "n"], [("a", 3)])


def test_statement_count() -> None:
    assert 25 <= len(STATEMENTS) <= 40


@pytest.mark.parametrize("path", STATEMENTS, ids=[p.stem for p in STATEMENTS])
def test_published_statement(dataset: Dataset, path: Path) -> None:
    passed, detail = run_statement(dataset, path)
    assert passed, f"{path.name}: {detail}"
