"""The typed schema of `.flowsql.yaml`: every key, the form its value takes, and one message naming the
key, the value and the expected form for anything else (with the file's line).

Choices worth knowing:
- `accounts: 111122223333` unquoted is refused with a hint to quote it: YAML reads an unquoted number
  as an integer, which loses leading zeros (and reads some of them as octal).
- `hourly: 'false'` (a quoted string) is refused: only YAML's true/false are booleans.
- `queries: ./q` (a string) is one folder; `accounts` and `regions` may be one comma-separated string.
- Dates are checked here, not by the YAML parser, so `start_date: 2024-13-01` is a message.
"""

from __future__ import annotations

import contextlib
import difflib
import math
import re
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from flowsql.errors import ConfigError

MAX_WINDOW_DAYS = 36_500  # a hundred years: beyond that a date no longer fits in a window's arithmetic
_ACCOUNT = re.compile(r"^\d{12}$")
_ENDPOINT = re.compile(r"^https?://[A-Za-z0-9.\-_\[\]:]+(:\d{1,5})?(/[^\s]*)?$")


class Wrong(Exception):
    """A value of the wrong form: what was expected, and perhaps a hint."""

    def __init__(self, expected: str, hint: str | None = None) -> None:
        super().__init__(expected)
        self.expected = expected
        self.hint = hint


def shown(value: Any) -> str:
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "null (empty)"
    else:
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# --- value checkers: return the normalised value or raise Wrong -------------------------------


def text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Wrong("non-empty text")
    return value


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        hint = "write true or false without quotes" if isinstance(value, str) else None
        raise Wrong("true or false", hint)
    return value


def choice(*choices: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices:
            raise Wrong("one of " + ", ".join(choices))
        return str(value)

    return check


def a_date(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}$", value.strip()):
        with contextlib.suppress(ValueError):
            return date.fromisoformat(value.strip()).isoformat()
    raise Wrong("a date YYYY-MM-DD, such as 2024-05-01")


def text_list(item: Callable[[Any], str]) -> Callable[[Any], list[str]]:
    def check(value: Any) -> list[str]:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        return [item(v) for v in (value if isinstance(value, list) else [value])]

    return check


def account(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        raise Wrong(
            "12-digit account ids as quoted strings",
            "quote it: accounts: ['111122223333'] (YAML reads an unquoted number as an integer, "
            "which loses leading zeros)",
        )
    if not isinstance(value, str) or not _ACCOUNT.match(value.strip()):
        raise Wrong("12-digit account ids, such as ['111122223333']")
    return value.strip()


def region(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Wrong("Region names, such as [us-east-1]")
    return value.strip()


def folders(value: Any) -> list[str]:
    if isinstance(value, str) and value.strip():
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise Wrong("a folder or a list of folders, such as [./team-queries]")
    return list(value)


def days(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Wrong(f"a number of days greater than 0 (at most {MAX_WINDOW_DAYS}), such as 31")
    if not 0 < value <= MAX_WINDOW_DAYS:
        raise Wrong(f"a number of days greater than 0 (at most {MAX_WINDOW_DAYS}), such as 31")
    return float(value)


def size(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Wrong("a size such as 10GB, 500MB or 1TiB")
    from flowsql.cost.estimate import parse_size

    try:
        parse_size(value)
    except ConfigError as exc:
        raise Wrong("a size such as 10GB, 500MB or 1TiB", exc.hint) from None
    return str(value)


def whole(minimum: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise Wrong(f"a whole number ≥ {minimum}")
        return value

    return check


def seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise Wrong("a number of seconds greater than 0")
    return float(value)


def endpoint_url(value: Any) -> str:
    """An endpoint URL boto3 will accept: http(s)://host[:port][/path]."""
    if not isinstance(value, str) or not _ENDPOINT.match(value.strip()):
        raise Wrong("an http:// or https:// URL, such as https://athena.us-east-1.amazonaws.com")
    return value.strip()


TABLE: dict[str, Callable[[Any], Any]] = {
    "location": text,
    "database": text,
    "table": text,
    "layout": choice("aws", "hive"),
    "hourly": boolean,
    "file_format": choice("text", "parquet"),
    "log_format": text,
    "accounts": text_list(account),
    "regions": text_list(region),
    "partitioning": choice("projection", "partitions"),
    "start_date": a_date,
}
ATHENA: dict[str, Callable[[Any], Any]] = {
    "region": region,
    "profile": text,
    "workgroup": text,
    "output_location": text,
    "endpoint_url": endpoint_url,
    "result_reuse_minutes": whole(0),
    "timeout_seconds": seconds,
}
# The columnar cache of the DuckDB engine (flowsql.engines.duckdb.cache).
CACHE: dict[str, Callable[[Any], Any]] = {
    "enabled": boolean,
    "max_size": size,
    "fill": choice("background", "inline"),
}
TOP: dict[str, Any] = {
    "table": TABLE,
    "athena": ATHENA,
    "engine": choice("duckdb", "athena"),
    "queries": folders,
    "max_window_days": days,
    "max_scan": size,
    "cache": CACHE,
    "inventory": text,
}


# --- the document --------------------------------------------------------------------------


def check(data: Any, path: Path, lines: Mapping[str, int]) -> dict[str, Any]:
    """The config's settings, each of its expected type; a ConfigError for the first that is not."""

    def fail(key: str, message: str, hint: str | None = None) -> ConfigError:
        line = lines.get(key) or lines.get(key.rpartition(".")[0])
        where = f"{path}:{line}" if line else str(path)
        return ConfigError(f"config file {where}: {message}", hint=hint)

    def walk(value: Any, schema: Mapping[str, Any], prefix: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            what = f"{prefix.rstrip('.')} must be" if prefix else "the file must hold"
            raise fail(prefix.rstrip("."), f"{what} a mapping of settings (key: value), got {shown(value)}")
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = f"{prefix}{key}"
            if key not in schema:
                close = difflib.get_close_matches(str(key), list(schema), n=1)
                raise fail(
                    name,
                    f"unknown setting {name}" + (f" (did you mean {prefix}{close[0]}?)" if close else ""),
                    hint=f"known {prefix.rstrip('.') or 'top-level'} settings: {', '.join(schema)}",
                )
            rule = schema[key]
            if isinstance(rule, dict):
                out[key] = walk(item, rule, f"{name}.")
                continue
            if item is None:
                continue  # an empty value means the default
            try:
                out[key] = rule(item)
            except Wrong as exc:
                raise fail(name, f"{name} must be {exc.expected}, got {shown(item)}", exc.hint) from None
        return out

    return walk(data, TOP, "")


def read(path: Path) -> tuple[Any, dict[str, int]]:
    """The YAML document of `path` (dates left as text) and the line of each key ('table.hourly')."""
    import yaml

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"config file {path}:{line}: is not UTF-8 text (byte 0x{raw[exc.start]:02x})",
            hint="save it as UTF-8",
        ) from None
    loader = _loader()
    try:
        data = yaml.load(source, Loader=loader)  # a SafeLoader subclass
        root = yaml.compose(source, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"config file {where}: is not valid YAML: {problem}") from None
    return data, _key_lines(root)


def _loader() -> Any:
    import yaml

    class Loader(yaml.SafeLoader):
        """SafeLoader without timestamps: dates stay text and are checked by the schema."""

    Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return Loader


def _key_lines(root: Any, prefix: str = "") -> dict[str, int]:
    import yaml

    lines: dict[str, int] = {}
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            name = f"{prefix}{key.value}"
            lines[name] = key.start_mark.line + 1
            lines.update(_key_lines(value, f"{name}."))
    return lines
