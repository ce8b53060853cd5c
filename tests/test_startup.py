"""The CLI's light commands must not pay for the heavy libraries: each runs in a fresh interpreter and
the modules it imported are read from sys.modules afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

HEAVY = (
    "boto3",
    "botocore",
    "pyathena",
    "duckdb",
    "_duckdb",
    "sqlglot",
    "pandas",
    "pyarrow",
    "numpy",
    "s3transfer",
)

_PROBE = """
import json, sys
from flowsql.cli import main
try:
    main(sys.argv[2:])
except SystemExit as exc:
    code = exc.code
else:
    code = 0
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(sys.argv[1])))
sys.stderr.write("\\nPROBE " + json.dumps({"code": code, "heavy": heavy}) + "\\n")
"""


def _imports(args: list[str], cwd: Path) -> tuple[int, list[str], str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(HEAVY), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env=_clean_env(),
    )
    line = [x for x in done.stderr.splitlines() if x.startswith("PROBE ")]
    assert line, f"probe did not finish: {done.stderr[-2000:]}"
    result = json.loads(line[-1][len("PROBE ") :])
    return result["code"], result["heavy"], done.stdout


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("FLOWSQL_")}


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["list"],
        ["list", "--format", "json"],
        ["show", "top_talkers"],
    ],
    ids=" ".join,
)
def test_light_commands_import_no_heavy_library(args: list[str], tmp_path: Path) -> None:
    code, heavy, out = _imports(args, tmp_path)
    assert code in (0, None), out
    assert out.strip(), "the command printed nothing"
    assert heavy == [], f"`flowsql {' '.join(args)}` imported {', '.join(heavy)}"


def test_every_command_help_is_light(tmp_path: Path) -> None:
    """`flowsql COMMAND --help` for every command: still nothing heavy."""
    from flowsql.cli import cli

    for name in cli.list_commands(click.Context(cli)):
        code, heavy, _ = _imports([name, "--help"], tmp_path)
        assert code in (0, None)
        assert heavy == [], f"`flowsql {name} --help` imported {', '.join(heavy)}"


def test_help_summaries_are_the_commands_own() -> None:
    """`flowsql --help` shows summaries from flowsql.cli.COMMANDS without importing the commands:
    each must be what the command itself says, and every entry must name a real command."""
    from flowsql.cli import COMMANDS, cli

    ctx = click.Context(cli)
    for name, (_module, _attribute, summary) in COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert command is not None, name
        assert command.name == name or name in cli.commands
        assert command.get_short_help_str(limit=1000) == summary, name


def test_help_lists_every_command_without_importing_them(tmp_path: Path) -> None:
    from flowsql.cli import COMMANDS

    code = (
        "import sys; from flowsql.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('flowsql.cli.') and m not in "
        "('flowsql.cli.app', 'flowsql.cli.options')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=_clean_env()
    )
    assert result.returncode == 0, result.stderr
    *help_lines, loaded = result.stdout.strip().splitlines()
    assert loaded == "[]", f"--help imported command modules: {loaded}"
    listed = {line.split()[0] for line in help_lines if line.startswith("  ") and line.strip()}
    assert set(COMMANDS) <= listed


def test_version_and_help_width_without_click_helpers(tmp_path: Path) -> None:
    """--version prints the project's version (read from pyproject.toml here); --help wraps to
    COLUMNS without asking shutil (which would import bz2 and lzma just for the terminal's size):
    the probe makes shutil.get_terminal_size fail, and the help still comes out, COLUMNS wide."""
    import tomllib

    root = Path(__file__).resolve().parents[1]
    version = tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]
    env = {**_clean_env(), "COLUMNS": "60"}
    run = [sys.executable, "-c", "import sys; from flowsql.cli import main; main(sys.argv[1:])"]
    shown = subprocess.run([*run, "--version"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert shown.returncode == 0 and shown.stdout.strip() == f"flowsql, version {version}"
    probe = (
        "import shutil\n"
        "def refuse(*a, **k):\n    raise AssertionError('shutil.get_terminal_size was asked')\n"
        "shutil.get_terminal_size = refuse\n"
        "from flowsql.cli import main\n"
        "main(['--help'])\n"
    )
    helped = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert helped.returncode == 0, helped.stderr[-2000:]
    lines = helped.stdout.splitlines()
    assert "Commands:" in helped.stdout and max(len(line) for line in lines) <= 58


def _one_flow_log_file(root: Path) -> None:
    """One gzip text file of the default format, in AWS's layout, written here by hand."""
    import gzip

    day = root / "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/01"
    day.mkdir(parents=True)
    name = "123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60708_20240501T0000Z_abcd1234.log.gz"
    header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
    rows = [
        f"2 123456789012 eni-0a1b2c3d 10.0.0.{i} 10.0.1.9 4431{i} 443 6 {i + 1} {100 * (i + 1)} "
        f"{1714521600 + 60 * i} {1714521660 + 60 * i} ACCEPT OK"
        for i in range(3)
    ]
    with gzip.open(day / name, "wt") as handle:
        handle.write("\n".join([header, *rows]) + "\n")


@pytest.mark.parametrize(
    "window", [("2024-05-01", "2024-05-02"), ("2023-01-01", "2023-01-02")], ids=["rows", "empty"]
)
def test_run_loads_duckdbs_core_not_its_python_package(tmp_path: Path, window: tuple[str, str]) -> None:
    """A run imports DuckDB's compiled core (`_duckdb`) and never the `duckdb` package, whose
    relational API and metadata lookup cost ~0.15 s of every run's start-up (flowsql/duckdb_driver.py).
    DuckDB before 1.4 has no separate core: there the package is the engine."""
    import importlib.util

    _one_flow_log_file(tmp_path / "logs")
    start, end = window
    args = ["run", "top_talkers", "--engine", "duckdb", "--location", str(tmp_path / "logs"),
            "-p", f"start={start}", "-p", f"end={end}", "--format", "json"]  # fmt: skip
    code, heavy, out = _imports(args, tmp_path)
    assert code in (0, None), out
    rows = json.loads(out)
    assert len(rows) == (3 if start.startswith("2024") else 0)
    if importlib.util.find_spec("_duckdb") is not None:
        assert "_duckdb" in heavy and "duckdb" not in heavy, heavy
    else:
        assert "duckdb" in heavy, heavy
