"""Loading one investigation file: the metadata header, the template compiled in the one Jinja
environment, and the checks made at load time with file:line.

A query file is a metadata header followed by a Jinja template of Athena SQL:

    -- name: rejected_ssh_sources
    -- title: Top sources of rejected SSH
    -- description: |
    --   What it finds, and how to read the result.
    -- category: security
    -- fields: [srcaddr, dstaddr, dstport, action, bytes, start, log_status]
    -- params:
    --   port: {type: port, default: 22, help: destination port}
    -- columns: [srcaddr, attempts, bytes, targets]
    SELECT …

The header is the run of lines at the very top that start with `--`; it ends at the first line that
does not (a blank line or the SQL). Each line loses its `--` and one following space, and the rest is
YAML. Comments further down belong to the SQL (prefer Jinja's `{# … #}` there). Files whose names
start with `_` are not investigations.

Rendering keeps the template's line numbers (the header becomes blank lines and block tags leave their
line in place), so a validation error's line and column point into the file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import MappingProxyType
from typing import Any

from flowsql.errors import (
    QueryDefinitionError,
)
from flowsql.investigations import params as paramsmod
from flowsql.investigations.investigation import (
    _FIELD,
    _REQUIRED_KEYS,
    _STEM,
    CATEGORIES,
    HEADER_KEYS,
    INVENTORY_MODES,
    LIBRARY_PACKAGES,
    Investigation,
    environment,
    library_code,
    parse_template,
)
from flowsql.investigations.params import Param
from flowsql.tables.fields import column_name

# --- reading files -------------------------------------------------------------------------


def split_header(text: str) -> tuple[list[str], str]:
    """The header's YAML lines (without `--`) and the template after it."""
    lines = text.splitlines()
    header: list[str] = []
    for line in lines:
        if not line.startswith("--"):
            break
        body = line[2:]
        header.append(body[1:] if body.startswith(" ") else body)
    return header, "\n".join(lines[len(header) :])


def _yaml_load(text: str) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)


def _key_lines(header: str) -> dict[str, int]:
    """1-based line of each top-level key, and of each parameter as 'params.NAME'."""
    import yaml

    lines: dict[str, int] = {}
    try:
        root = yaml.compose(header, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return lines
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            lines[str(key.value)] = key.start_mark.line + 1
            if key.value == "params" and isinstance(value, yaml.MappingNode):
                for pkey, _ in value.value:
                    lines[f"params.{pkey.value}"] = pkey.start_mark.line + 1
    return lines


def load_file(path: str | Path, *, source: str = "user", overrides: bool = False) -> Investigation:
    """Read one query file; any problem is a QueryDefinitionError naming the file and line.

    A file that passed every check before (same text, same name, same checking code and libraries)
    is rebuilt from its header remembered on disk, without importing YAML or Jinja."""
    path = Path(path)
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryDefinitionError(f"cannot read the file: {exc}", path=where) from None
    from flowsql import diskcache

    material = [text, path.name]
    stored = diskcache.recall("investigations", library_code(), material, packages=LIBRARY_PACKAGES)
    if stored is not None:
        meta, header_lines = json.loads(stored)
        template = split_header(text)[1]
        return _investigation(meta, path, source, overrides, template, header_lines, _unreachable)
    investigation, meta = _load_checked(text, path, source, overrides)
    remembered = json.dumps([meta, investigation.header_lines], sort_keys=True, default=_not_json)
    if json.loads(remembered)[0] == meta:  # only a header that JSON carries unchanged
        diskcache.store("investigations", library_code(), material, remembered, packages=LIBRARY_PACKAGES)
    return investigation


def _not_json(value: Any) -> Any:
    return repr(value)  # then the round trip differs and the header is not remembered


def _unreachable(message: str, key: str | None = None, line: int | None = None) -> QueryDefinitionError:
    raise AssertionError(f"a remembered header failed a check it passed before: {message}")


def _load_checked(
    text: str, path: Path, source: str, overrides: bool
) -> tuple[Investigation, dict[str, Any]]:
    where = str(path)
    header_lines, template = split_header(text)
    if not header_lines:
        raise QueryDefinitionError(
            "missing the metadata header: the file must start with `-- name: …` comment lines",
            path=where,
            line=1,
        )
    header = "\n".join(header_lines)

    def fail(message: str, key: str | None = None, line: int | None = None) -> QueryDefinitionError:
        if line is None and key is not None:
            line = _key_lines(header).get(key)
        return QueryDefinitionError(message, path=where, line=line or 1)

    import yaml

    try:
        meta = _yaml_load(header)
    except yaml.YAMLError as exc:
        # Where the broken construct starts is nearer the mistake than where the parser gave up.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise fail(
            f"the metadata header is not valid YAML: {problem}", line=mark.line + 1 if mark else 1
        ) from None
    if not isinstance(meta, dict):
        raise fail("the metadata header must be a YAML mapping (name: …, title: …)")
    for key in meta:
        if key not in HEADER_KEYS:
            import difflib

            close = difflib.get_close_matches(str(key), HEADER_KEYS, n=1)
            raise fail(
                f"unknown header key {key!r}" + (f" (did you mean {close[0]}?)" if close else ""),
                key=str(key),
            )
    for key in _REQUIRED_KEYS:
        if key not in meta:
            raise fail(f"the header has no {key}: it needs {', '.join(_REQUIRED_KEYS)}")
    name = meta["name"]
    if not _STEM.match(path.stem):
        raise fail(f"file name {path.name!r} must be a lowercase identifier with .sql (top_talkers.sql)")
    if name != path.stem:
        raise fail(f"name {name!r} must equal the file name without .sql ({path.stem!r})", key="name")
    for key in ("title", "description"):
        if not isinstance(meta[key], str) or not meta[key].strip():
            raise fail(f"{key} must be non-empty text", key=key)
    if meta["category"] not in CATEGORIES:
        raise fail(
            f"category must be one of {', '.join(CATEGORIES)}, got {meta['category']!r}", key="category"
        )
    _name_list(meta["fields"], "fields", fail, pattern=_FIELD)
    _name_list(meta["columns"], "columns", fail, pattern=_STEM)
    needs_inventory = meta.get("inventory")
    if needs_inventory is not None and needs_inventory not in INVENTORY_MODES:
        raise fail(
            f"inventory must be one of {', '.join(INVENTORY_MODES)}, got {needs_inventory!r}", key="inventory"
        )
    if "inventory_columns" in meta:
        if needs_inventory != "optional":
            raise fail("inventory_columns needs `inventory: optional`", key="inventory_columns")
        _name_list(meta["inventory_columns"], "inventory_columns", fail, pattern=_STEM)
    if not isinstance(meta.get("params") or {}, dict):
        raise fail("params must be a mapping of name: {type: …, default: …}", key="params")
    investigation = _investigation(meta, path, source, overrides, template, len(header_lines), fail)
    _check_template(investigation, header, fail)
    return investigation, meta


def _investigation(
    meta: dict[str, Any],
    path: Path,
    source: str,
    overrides: bool,
    template: str,
    header_lines: int,
    fail: Any,
) -> Investigation:
    """The Investigation of a header that passed the checks above."""
    declared: dict[str, Param] = {}
    for pname, pdata in (meta.get("params") or {}).items():
        try:
            declared[str(pname)] = paramsmod.from_metadata(str(pname), pdata)
        except ValueError as exc:
            raise fail(str(exc), key=f"params.{pname}") from None
    return Investigation(
        name=meta["name"],
        title=meta["title"].strip(),
        description=meta["description"].strip(),
        category=meta["category"],
        fields=tuple(column_name(f) for f in meta["fields"]),
        params=MappingProxyType(declared),
        columns=tuple(meta["columns"]),
        path=path,
        source=source,
        overrides=overrides,
        template=template,
        header_lines=header_lines,
        inventory=meta.get("inventory"),
        inventory_columns=tuple(meta.get("inventory_columns") or ()),
    )


def _name_list(value: Any, key: str, fail: Any, *, pattern: re.Pattern[str]) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise fail(f"{key} must be a non-empty list of names: [a, b]", key=key)
    for item in value:
        if not pattern.match(item):
            raise fail(f"{key}: {item!r} is not a valid name", key=key)
    if len(set(value)) != len(value):
        raise fail(f"{key} lists a name twice", key=key)
    return list(value)


def _check_template(inv: Investigation, header: str, fail: Any) -> None:
    """Declared parameters and the names the template uses must agree."""
    from jinja2 import meta, nodes

    from flowsql.investigations import macros

    env = environment()
    ast = parse_template(inv.template, inv.header_lines, str(inv.path))  # refuses with file:line
    used = meta.find_undeclared_variables(ast) - set(env.globals)

    def first_use(name: str) -> int | None:
        lines = [n.lineno for n in ast.find_all(nodes.Name) if n.name == name and n.ctx == "load"]
        return min(lines) if lines else None

    for name in sorted(used, key=lambda n: first_use(n) or 0):
        if name in inv.params or name in macros.HELPER_NAMES:
            continue
        if name in paramsmod.WINDOW_PARAMS:
            raise fail(
                f"the template uses {name!r}: the window is applied with {{{{ in_window() }}}}, "
                "not through start/end variables",
                line=first_use(name),
            )
        import difflib

        close = difflib.get_close_matches(name, [*inv.params, *macros.HELPER_NAMES], n=1)
        raise fail(
            f"the template uses {name!r}, which is not a declared parameter"
            + (f" (did you mean {close[0]}?)" if close else "; declare it under params:"),
            line=first_use(name),
        )
    for name in inv.params:
        if name not in used:
            raise fail(f"parameter {name} is declared but the template never uses it", key=f"params.{name}")
    if ("inventory" in used or "has_inventory" in used) and inv.inventory is None:
        raise fail(
            "the template uses the inventory: declare `inventory: required` (or `optional`, with "
            "{% if has_inventory %} around its use)"
        )
    if "in_window" not in used:
        raise fail("the template never calls {{ in_window() }}: every read of the table must be bounded")


# --- the library ---------------------------------------------------------------------------
