"""What a location holds: the accounts and regions under AWSLogs/, and the newest file's header line.
Works on S3 (boto3, delimiter listings that never walk the whole bucket) and on local folders."""

from __future__ import annotations

import gzip
import re
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

from flowsql.config import AthenaSettings
from flowsql.errors import LocationError, LogFormatError
from flowsql.tables import fields as flowfields
from flowsql.tables.fields import Field
from flowsql.tables.spec import Layout, TableSpec

_ACCOUNT_DIR = {Layout.AWS: re.compile(r"^(\d{12})$"), Layout.HIVE: re.compile(r"^aws-account-id=(\d{12})$")}
_REGION_DIR = {
    Layout.AWS: re.compile(r"^([a-z]{2}(?:-[a-z]+)+-\d+)$"),
    Layout.HIVE: re.compile(r"^aws-region=(.+)$"),
}
_SERVICE = {Layout.AWS: "vpcflowlogs", Layout.HIVE: "aws-service=vpcflowlogs"}
_OTHER = {Layout.AWS: Layout.HIVE, Layout.HIVE: Layout.AWS}


class _Lister:
    """Child folder names and files of a prefix, for S3 or a local folder alike."""

    def __init__(
        self,
        spec: TableSpec,
        settings: AthenaSettings | None,
        hint: str = "check the location and your credentials, or pass --accounts and --regions",
    ) -> None:
        self.spec = spec
        self.hint = hint
        self.s3: Any = None
        if spec.is_s3:
            from flowsql import aws

            self.s3 = aws.client("s3", settings or AthenaSettings())
            self.bucket, self.root = aws.split_s3(spec.location)
        else:
            self.root = spec.location

    def children(self, rel: str) -> list[str]:
        """Folder names directly below location/rel (rel ends in '/' or is empty)."""
        if self.s3 is None:
            base = Path(self.root, rel)
            return sorted(p.name for p in base.iterdir() if p.is_dir()) if base.is_dir() else []
        names = []
        for page in self._pages(self.root + rel, delimiter="/"):
            for common in page.get("CommonPrefixes", []):
                names.append(common["Prefix"][len(self.root + rel) :].rstrip("/"))
        return sorted(names)

    def files(self, rel: str) -> list[tuple[str, float, str]]:
        """(name, modified timestamp, full path or URI) of the files directly in location/rel."""
        if self.s3 is None:
            base = Path(self.root, rel)
            if not base.is_dir():
                return []
            return [(p.name, p.stat().st_mtime, str(p)) for p in base.iterdir() if p.is_file()]
        out = []
        for page in self._pages(self.root + rel, delimiter="/"):
            for obj in page.get("Contents", []):
                name = obj["Key"].rsplit("/", 1)[-1]
                out.append((name, obj["LastModified"].timestamp(), f"s3://{self.bucket}/{obj['Key']}"))
        return out

    def _pages(self, prefix: str, delimiter: str) -> Any:
        from flowsql import aws

        return aws.list_pages(self.s3, self.bucket, prefix, Delimiter=delimiter, hint=self.hint)

    def head(self, path: str, limit: int = 65536) -> bytes:
        """The first bytes of a file (gzip-decompressed up to its first line)."""
        if self.s3 is None:
            try:
                with gzip.open(path, "rb") as fh:
                    return fh.readline(limit)
            except (OSError, EOFError, zlib.error) as exc:
                raise LocationError(f"cannot read {path}: {exc}") from None
        import botocore.exceptions

        from flowsql import aws

        bucket, key = aws.split_s3(path)
        try:
            body = self.s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{limit - 1}")["Body"].read()
        except botocore.exceptions.ClientError as exc:
            raise LocationError(f"cannot read {path}: {aws.describe_client_error(exc)}") from None
        try:
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, limit)
        except zlib.error as exc:
            raise LocationError(f"cannot read {path}: not a gzip file ({exc})") from None


def accounts_and_regions(
    spec: TableSpec, settings: AthenaSettings | None = None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Account ids and Region names found under the location's AWSLogs/ prefix, for this layout."""
    lister = _Lister(spec, settings)
    layout = spec.layout
    top = lister.children("AWSLogs/")
    accounts = [m.group(1) for name in top if (m := _ACCOUNT_DIR[layout].match(name))]
    if not accounts:
        other = [n for n in top if _ACCOUNT_DIR[_OTHER[layout]].match(n)]
        if other:
            raise LocationError(
                f"{spec.table_location} holds {_OTHER[layout].value}-layout prefixes ({other[0]}/), "
                f"not the {layout.value} layout",
                hint=f"pass --layout {_OTHER[layout].value}",
            )
        raise LocationError(
            f"found no account folders under {spec.table_location}: the location holds no flow logs yet "
            "or cannot be listed",
            hint="pass --accounts and --regions explicitly",
        )
    regions: set[str] = set()
    for name in top:
        if not _ACCOUNT_DIR[layout].match(name):
            continue
        for child in lister.children(f"AWSLogs/{name}/{_SERVICE[layout]}/"):
            if m := _REGION_DIR[layout].match(child):
                regions.add(m.group(1))
    if not regions:
        raise LocationError(
            f"found accounts but no Region folders under {spec.table_location}",
            hint="pass --regions explicitly",
        )
    return tuple(sorted(accounts)), tuple(sorted(regions))


def with_discovered(spec: TableSpec, settings: AthenaSettings | None = None) -> TableSpec:
    """The spec with accounts and regions filled in from the location where none were given."""
    if spec.accounts and spec.regions:
        return spec
    accounts, regions = accounts_and_regions(spec, settings)
    return replace(spec, accounts=spec.accounts or accounts, regions=spec.regions or regions)


def newest_file(
    spec: TableSpec,
    settings: AthenaSettings | None = None,
    suffix: str = ".log.gz",
    lister: _Lister | None = None,
) -> str | None:
    """The newest flow-log file (by the date folders, then modification time), or None."""
    lister = lister or _Lister(spec, settings)
    layout = spec.layout
    best: tuple[str, float, str] | None = None
    for account in lister.children("AWSLogs/"):
        if not _ACCOUNT_DIR[layout].match(account):
            continue
        service = f"AWSLogs/{account}/{_SERVICE[layout]}/"
        for region in lister.children(service):
            # Descend by the newest date folder at each level (year, month, day, hour).
            rel = f"{service}{region}/"
            key = ""
            while True:
                subdirs = lister.children(rel)
                if not subdirs:
                    break
                newest = max(subdirs)
                key += newest + "/"
                rel += newest + "/"
            files = [f for f in lister.files(rel) if f[0].endswith(suffix)]
            if not files:
                continue
            candidate = max(files, key=lambda f: (f[1], f[0]))
            if best is None or (key, candidate[1]) > (best[0], best[1]):
                best = (key, candidate[1], candidate[2])
    return best[2] if best else None


def _newest_header(spec: TableSpec, settings: AthenaSettings | None) -> tuple[str, tuple[Field, ...]] | None:
    """The newest text file and the fields its header line names; None when there is no such file."""
    lister = _Lister(spec, settings)
    path = newest_file(spec, settings, lister=lister)
    if path is None:
        return None
    line = lister.head(path).split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    try:
        return path, flowfields.parse_header(line, source=f"header of {path}")
    except LogFormatError as exc:
        raise LocationError(f"{exc.message}: is {path} a flow-log file?") from None


def detect_format(spec: TableSpec, settings: AthenaSettings | None = None) -> str:
    """The LogFormat string of the newest text file's header line."""
    newest = _newest_header(spec, settings)
    if newest is None:
        raise LocationError(
            f"found no text flow-log files (*.log.gz) under {spec.table_location} to read a header from",
            hint="pass --log-format instead of --detect-format",
        )
    return flowfields.format_string(newest[1])


def check_header(spec: TableSpec, settings: AthenaSettings | None = None) -> None:
    """Refuse a text table whose declared fields differ from the newest file's header line."""
    if spec.file_format.value != "text":
        return
    newest = _newest_header(spec, settings)
    if newest is None:
        return
    path, found = newest
    if [f.name for f in found] != [f.name for f in spec.fields]:
        raise LogFormatError(
            f"the log format does not match the files: {path} has the header\n"
            f"    {' '.join(f.name for f in found)}\n  but the table would declare\n"
            f"    {' '.join(f.name for f in spec.fields)}",
            hint="text tables are positional: use --detect-format, or fix --log-format",
        )


def check_local(spec: TableSpec) -> int:
    """Count the flow-log files a local folder holds in the spec's layout; refuse when none."""
    root = Path(spec.location)
    if not root.is_dir():
        raise LocationError(f"{spec.location} is not a folder")
    pattern = re.compile(spec.path_regex())
    count = 0
    for path in (root / "AWSLogs").rglob(f"*{spec.file_suffix}") if (root / "AWSLogs").is_dir() else []:
        rel = path.relative_to(root).as_posix()
        if pattern.search(rel):
            count += 1
    if count == 0:
        other = replace(spec, layout=_OTHER[spec.layout])
        hourly = replace(spec, hourly=not spec.hourly)
        for alt, flag in (
            (other, f"--layout {other.layout.value}"),
            (hourly, "--hourly" if not spec.hourly else "--daily"),
        ):
            alt_re = re.compile(alt.path_regex())
            if any(alt_re.search(p.relative_to(root).as_posix()) for p in root.rglob(f"*{spec.file_suffix}")):
                raise LocationError(
                    f"{spec.location} holds flow logs, but not in the layout given", hint=f"try {flag}"
                )
        raise LocationError(
            f"found no {spec.file_format.value} flow-log files ({spec.file_suffix}) under "
            f"{spec.location}AWSLogs/ in the {spec.layout.value} layout",
            hint="generate some with `flowsql sample DIR`, or check --location/--layout/--file-format",
        )
    return count
