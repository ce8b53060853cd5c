"""AWS's published IP ranges (ip-ranges.json) as rows of the ip_ranges table."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

from flowsql.errors import ConfigError

OFFICIAL_URL = "https://ip-ranges.amazonaws.com/ip-ranges.json"


def parse(document: Any, *, origin: str = "ip-ranges.json") -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Rows (prefix, prefix_length, ip_version, service, region, network_border_group) and the
    document's syncToken and createDate."""
    if not isinstance(document, dict) or not isinstance(document.get("prefixes"), list):
        raise ConfigError(f"{origin} is not AWS's ip-ranges.json: it has no list of prefixes")
    rows = []
    for key, field, version in (("prefixes", "ip_prefix", "IPv4"), ("ipv6_prefixes", "ipv6_prefix", "IPv6")):
        for entry in document.get(key) or []:
            if not isinstance(entry, dict) or field not in entry:
                raise ConfigError(f"{origin}: an entry of {key} has no {field}: {entry!r}")
            try:
                network = ipaddress.ip_network(str(entry[field]), strict=False)
            except ValueError:
                raise ConfigError(f"{origin}: {entry[field]!r} is not a network") from None
            rows.append(
                {
                    "prefix": str(network),
                    "prefix_length": network.prefixlen,
                    "ip_version": version,
                    "service": entry.get("service"),
                    "region": entry.get("region"),
                    "network_border_group": entry.get("network_border_group"),
                }
            )
    info = {"ip_ranges": origin, "ip_ranges_sync_token": document.get("syncToken"),
            "ip_ranges_created": document.get("createDate")}  # fmt: skip
    return rows, info


def load_file(path: str | Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the IP ranges file {path}: {exc.strerror or exc}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not JSON: {exc.msg} at line {exc.lineno}") from None
    return parse(document, origin=str(path))


def download(url: str = OFFICIAL_URL, *, timeout: float = 30) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Fetch the published file (only when the user asks for it: `--ip-ranges download`)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            document = json.loads(response.read().decode("utf-8"))
    except (OSError, urllib.error.URLError, json.JSONDecodeError) as exc:
        raise ConfigError(
            f"cannot download {url}: {exc}",
            hint="download the file yourself and pass --ip-ranges FILE",
        ) from None
    return parse(document, origin=url)
