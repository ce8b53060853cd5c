"""The on-disk caches of loaded investigations and of rendered statements never change what a file
loads as or what a statement says: each is compared with the same work done with caching off, a
changed file is checked again, and a cached run imports neither YAML, Jinja nor sqlglot."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flowsql.errors import QueryDefinitionError
from flowsql.investigations import loading
from flowsql.investigations.library import load
from flowsql.tables import fields
from flowsql.tables.spec import TableSpec

SPEC = TableSpec("s3://flow-bucket/", accounts=("111122223333",), regions=("us-east-1",))
EVERY_VPC_FIELD = TableSpec("s3://flow-bucket/", fields=tuple(fields.BY_NAME[n] for n in fields.ALL_FIELDS))
TRANSIT = TableSpec("s3://flow-bucket/", fields=fields.TRANSIT_GATEWAY, hourly=True)
WINDOW = {"start": "2024-05-01", "end": "2024-05-02 06:00"}


def _fields(inv: object) -> dict[str, object]:
    got = {f.name: getattr(inv, f.name) for f in dataclasses.fields(inv)}  # type: ignore[arg-type]
    got["params"] = dict(got["params"])  # type: ignore[call-overload]
    return got


def _refuse_checking(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was parsed and checked again")

    monkeypatch.setattr(loading, "_load_checked", refuse)


def test_every_packaged_investigation_loads_the_same_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FLOWSQL_CACHE_DIR", "")
    names = load().names()
    uncached = {name: _fields(load().get(name)) for name in names}
    monkeypatch.setenv("FLOWSQL_CACHE_DIR", str(tmp_path))
    filled = {name: _fields(load().get(name)) for name in names}
    assert len(list((tmp_path / "investigations").glob("*.txt"))) == len(names)
    _refuse_checking(monkeypatch)
    served = {name: _fields(load().get(name)) for name in names}
    assert filled == uncached
    assert served == uncached


def test_every_packaged_investigation_renders_the_same_from_the_cache(tmp_path, monkeypatch):
    from flowsql.investigations import investigation

    monkeypatch.setenv("FLOWSQL_CACHE_DIR", str(tmp_path))
    library = load()
    cases = []
    for inv in library:
        for spec in (EVERY_VPC_FIELD, TRANSIT):
            if inv.available(spec):
                continue
            for inventory in inv.inventory_modes():
                cases.extend((inv, spec, {**WINDOW, **params}, inventory) for params in inv.variants())
    assert {inv.name for inv, *_ in cases} == set(library.names())

    def render(inv, spec, params, inventory, **options):  # type: ignore[no-untyped-def]
        return inv.render(spec, params, inventory=inventory, **options)

    fresh = [render(*case, cache=False) for case in cases]
    filled = [render(*case) for case in cases]

    def refuse(*args: object, **kwargs: object) -> str:
        raise AssertionError("rendered again")

    real = investigation.Investigation.render_text
    monkeypatch.setattr(investigation.Investigation, "render_text", refuse)
    served = [render(*case) for case in cases]
    monkeypatch.setattr(investigation.Investigation, "render_text", real)
    for a, b, c in zip(fresh, filled, served, strict=True):
        assert (a.sql, a.window, a.values) == (b.sql, b.window, b.values) == (c.sql, c.window, c.values)
    # a different window is a different statement
    inv, spec, params, inventory = cases[0]
    other = render(inv, spec, {**params, "end": "2024-05-03"}, inventory)
    assert other.sql != served[0].sql and other.window.end.day == 3


_QUERY = """-- name: probe
-- title: Probe
-- description: one parameter, rendered
-- category: security
-- fields: [srcaddr]
-- params:
--   n: {{type: {kind}, default: '5'}}
-- columns: [n]
SELECT {{{{ n }}}} AS n FROM {{{{ table }}}} WHERE {{{{ in_window() }}}}
"""


def test_a_changed_file_is_checked_and_rendered_again(tmp_path, monkeypatch):
    monkeypatch.setenv("FLOWSQL_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "queries"
    folder.mkdir()
    path = folder / "probe.sql"
    path.write_text(_QUERY.format(kind="text"))
    text_sql = load([folder]).get("probe").render(SPEC, WINDOW).sql
    assert "'5' AS n" in text_sql
    # Same template, same value, another parameter type: another statement, not the cached one.
    path.write_text(_QUERY.format(kind="int"))
    int_sql = load([folder]).get("probe").render(SPEC, WINDOW).sql
    assert "5 AS n" in int_sql and "'5'" not in int_sql
    # A header broken after the file was cached is refused, with its line.
    path.write_text(_QUERY.format(kind="int").replace("-- category: security", "-- category: nonsense"))
    with pytest.raises(QueryDefinitionError) as caught:
        load([folder]).get("probe")
    assert "category must be one of" in str(caught.value) and caught.value.line == 4


def test_a_file_that_fails_its_checks_is_not_remembered(tmp_path, monkeypatch):
    """Only files that pass every check are remembered (a YAML date where text belongs, here)."""
    monkeypatch.setenv("FLOWSQL_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "queries"
    folder.mkdir()
    (folder / "probe.sql").write_text(
        _QUERY.format(kind="text").replace(
            "-- category: security", "-- category: security\n-- inventory_columns: [a]"
        )
    )
    with pytest.raises(QueryDefinitionError):
        load([folder]).get("probe")
    dated = _QUERY.format(kind="text").replace(
        "description: one parameter, rendered", "description: 2024-05-01"
    )
    (folder / "probe.sql").write_text(dated)
    with pytest.raises(QueryDefinitionError):  # a date is not text
        load([folder]).get("probe")
    assert not list((tmp_path / "cache" / "investigations").glob("*.txt"))


_PROBE = """
import json, sys
from flowsql.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    pass
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"jinja2", "yaml", "sqlglot"})
sys.stderr.write("\\nPROBE " + json.dumps(loaded) + "\\n")
"""


def _probe(args: list[str], cache: str, cwd: Path) -> tuple[str, list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWSQL_")}
    env["FLOWSQL_CACHE_DIR"] = cache
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )
    line = [x for x in done.stderr.splitlines() if x.startswith("PROBE ")]
    assert line, done.stderr[-2000:]
    return done.stdout, json.loads(line[-1][len("PROBE ") :])


def test_a_repeated_run_imports_neither_yaml_jinja_nor_sqlglot(tmp_path):
    from flowsql.sample.generator import generate

    logs = tmp_path / "logs"
    generate(logs, days=1, end="2024-05-01", records=200, files_per_day=1, seed=3)
    args = [
        "run", "top_talkers", "--engine", "duckdb", "--location", str(logs),
        "-p", "start=2024-05-01", "-p", "end=2024-05-02", "--format", "json", "-q",
    ]  # fmt: skip
    cache = str(tmp_path / "cache")
    first, loaded_first = _probe(args, cache, tmp_path)
    again, loaded_again = _probe(args, cache, tmp_path)
    uncached, _ = _probe(args, "", tmp_path)
    assert json.loads(first) == json.loads(again) == json.loads(uncached) != []
    assert set(loaded_first) == {"jinja2", "yaml", "sqlglot"}
    assert loaded_again == []
