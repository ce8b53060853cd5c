"""A user's mistake is one clear message naming what was wrong and what is expected, with a non-zero
exit other than 70 (an internal error): config values of the wrong type, out-of-range parameters and
flags, each through the real entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flowsql.sample.generator import generate


def assert_user_error(result, *needles: str, code: int = 2) -> None:  # type: ignore[no-untyped-def]
    assert result.code == code, result
    assert "internal error" not in result.err and "Traceback" not in result.err, result
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert lines and lines[0].startswith("error: "), result
    for needle in needles:
        assert needle in result.err, (needle, result)


# --- the config file, against one typed schema -------------------------------------------------

CONFIGS = {
    "accounts unquoted": (
        "table:\n  location: ./logs\n  accounts: 111122223333\n",
        [".flowsql.yaml:3:", "table.accounts", "111122223333", "quote it", "['111122223333']"],
    ),
    "accounts in a list unquoted": (
        "table:\n  location: ./logs\n  accounts: [111122223333]\n",
        ["table.accounts", "quoted strings"],
    ),
    "table a list": ("table: [1, 2]\n", [".flowsql.yaml:1:", "table must be a mapping", "[1, 2]"]),
    "location a number": (
        "table:\n  location: 123\n",
        ["table.location must be non-empty text, got 123"],
    ),
    "log_format a number": ("table: {location: ./logs, log_format: 5}\n", ["table.log_format", "got 5"]),
    "start_date impossible": (
        "table:\n  location: ./logs\n  start_date: 2024-13-01\n",
        [".flowsql.yaml:3:", "table.start_date must be a date YYYY-MM-DD", "'2024-13-01'"],
    ),
    "max_window_days text": (
        "table: {location: ./logs}\nmax_window_days: ten\n",
        [".flowsql.yaml:2:", "max_window_days must be a number of days greater than 0", "'ten'"],
    ),
    "max_window_days negative": (
        "table: {location: ./logs}\nmax_window_days: -5\n",
        ["max_window_days must be a number of days greater than 0", "got -5"],
    ),
    "max_window_days zero": ("table: {location: ./logs}\nmax_window_days: 0\n", ["max_window_days", "got 0"]),
    "max_window_days infinite": ("table: {location: ./logs}\nmax_window_days: .inf\n", ["max_window_days"]),
    "hourly quoted": (
        "table:\n  location: ./logs\n  hourly: 'false'\n",
        [".flowsql.yaml:3:", "table.hourly must be true or false, got 'false'", "without quotes"],
    ),
    "layout unknown": (
        "table: {location: ./logs, layout: flat}\n",
        ["table.layout must be one of aws, hive"],
    ),
    "athena unknown key": (
        "table: {location: ./logs}\nathena: {foo: bar}\n",
        ["unknown setting athena.foo", "known athena settings: region, profile, workgroup"],
    ),
    "athena a string": ("athena: us-east-1\n", ["athena must be a mapping"]),
    "endpoint_url not a URL": (
        "table: {location: ./logs}\nathena: {endpoint_url: not-a-url}\n",
        ["athena.endpoint_url must be an http:// or https:// URL", "'not-a-url'"],
    ),
    "top-level typo": (
        "tabel: {location: ./logs}\n",
        ["unknown setting tabel (did you mean table?)", "known top-level settings"],
    ),
    "engine unknown": ("engine: spark\n", ["engine must be one of duckdb, athena, got 'spark'"]),
    "max_scan unreadable": ("max_scan: lots\n", ["max_scan must be a size such as 10GB"]),
    "queries a number": ("queries: 5\n", ["queries must be a folder or a list of folders"]),
    "not a mapping": ("- a\n- b\n", ["must hold a mapping of settings"]),
    "not YAML": ("table: {location: [\n", [".flowsql.yaml:2:", "is not valid YAML"]),
}


@pytest.mark.parametrize("case", list(CONFIGS))
@pytest.mark.parametrize("command", [["render", "total_bytes", "-p", "start=2024-05-01"], ["list"]])
def test_a_config_value_of_the_wrong_type_is_one_message(
    workdir: Path, flowsql_cli, case: str, command: list[str]
) -> None:  # type: ignore[no-untyped-def]
    text, needles = CONFIGS[case]
    (workdir / ".flowsql.yaml").write_text(text, encoding="utf-8")
    assert_user_error(flowsql_cli(*command), *needles)


def test_a_config_that_is_not_utf8_is_one_message(workdir: Path, flowsql_cli) -> None:  # type: ignore[no-untyped-def]
    (workdir / ".flowsql.yaml").write_bytes(b"engine: duckdb\ntable: {location: '\xff'}\n")
    assert_user_error(flowsql_cli("list"), ".flowsql.yaml:2:", "is not UTF-8 text (byte 0xff)")


def test_hourly_quoted_false_no_longer_reads_as_true(workdir: Path) -> None:
    from flowsql import config
    from flowsql.errors import ConfigError

    (workdir / ".flowsql.yaml").write_text("table: {location: ./logs, hourly: false}\n", encoding="utf-8")
    assert config.load().table_spec().hourly is False
    (workdir / ".flowsql.yaml").write_text("table: {location: ./logs, hourly: 'false'}\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        config.load()


def test_queries_as_one_string_is_one_folder(workdir: Path, flowsql_cli) -> None:  # type: ignore[no-untyped-def]
    """`queries: ./q` was split into the folders '.', '/' and 'q'."""
    from flowsql import config

    (workdir / "q").mkdir()
    (workdir / "q" / "mine.sql").write_text(
        "-- name: mine\n-- title: Mine\n-- description: Mine.\n-- category: health\n"
        "-- fields: [start, log_status]\n-- columns: [n]\n"
        "SELECT count(*) AS n FROM {{ table }} WHERE {{ in_window() }} AND log_status = 'OK'\n",
        encoding="utf-8",
    )
    (workdir / ".flowsql.yaml").write_text("queries: ./q\n", encoding="utf-8")
    assert config.load().query_dirs() == [workdir / "./q"]
    result = flowsql_cli("show", "mine")
    assert result.code == 0 and "Mine" in result.out, result


def test_well_formed_values_still_load(workdir: Path) -> None:
    from flowsql import config

    (workdir / ".flowsql.yaml").write_text(
        "engine: duckdb\n"
        "table: {location: ./logs, layout: hive, hourly: true, accounts: ['011122223333', '444455556666'],\n"
        "        regions: us-east-1, start_date: 2023-02-01, partitioning: projection}\n"
        "athena: {region: us-east-1, endpoint_url: 'http://127.0.0.1:5000', result_reuse_minutes: 60,\n"
        "         timeout_seconds: 30}\n"
        "queries: [./q]\nmax_window_days: 7.5\nmax_scan: 10GB\n",
        encoding="utf-8",
    )
    cfg = config.load()
    spec = cfg.table_spec()
    assert spec.accounts == ("011122223333", "444455556666") and spec.regions == ("us-east-1",)
    assert str(spec.start_date) == "2023-02-01" and spec.hourly is True
    assert cfg.max_window_days == 7.5 and cfg.athena.timeout_seconds == 30.0


# --- parameters and flags ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("logs")
    generate(folder, days=1, end="2024-05-01", records=300, seed=5)
    return folder


@pytest.mark.parametrize(
    "args, needles",
    [
        (["-p", "start=9999-12-31"], ["start must be between 1970-01-01 and 9999-12-29", "9999-12-31"]),
        (["-p", "end=9999-12-31"], ["end must be between"]),
        (["-p", "start=0001-01-01T00:00+05:00"], ["start must be between"]),
        (["-p", "start=1969-12-31"], ["start must be between"]),
        (
            ["-p", "start=2024-05-01", "-p", "limit=" + "9" * 5000],
            ["limit must be an integer from 1", "5000 digits"],
        ),
        (["-p", "start=2024-05-01", "-p", "limit=-" + "9" * 5000], ["limit must be an integer"]),
        (["--last", "99999999999d"], ["last must be a duration of at most 999,999,999 days"]),
        (["--start", "-99999999999d"], ["start must be a duration of at most"]),
        (["--end", "2024-05-01", "--last", "20000d"], ["starts before 1970-01-01"]),
    ],
    ids=[
        "start-9999",
        "end-9999",
        "before-utc",
        "before-1970",
        "limit-5000-digits",
        "limit-negative-huge",
        "last-huge",
        "relative-huge",
        "last-before-1970",
    ],
)
def test_out_of_range_parameters_are_one_message(
    logs: Path, flowsql_cli, args: list[str], needles: list[str]
) -> None:  # type: ignore[no-untyped-def]
    assert_user_error(flowsql_cli("run", "top_talkers", "--location", str(logs), *args), *needles)


@pytest.mark.parametrize("url", ["not-a-url", "ftp://example.com", "http://", "https:// space"])
def test_an_endpoint_url_that_is_not_a_url_is_one_message(workdir: Path, flowsql_cli, url: str) -> None:  # type: ignore[no-untyped-def]
    for command in (
        ["describe", "--location", "s3://bucket-one/", "--region", "us-east-1"],
        ["run", "top_talkers", "--engine", "athena", "--location", "s3://bucket-one/", "--region", "us-east-1",
         "--output-location", "s3://bucket-one/out/", "-p", "start=2024-05-01"],
    ):  # fmt: skip
        assert_user_error(flowsql_cli(*command, "--endpoint-url", url), "endpoint URL", "http:// or https://")


def test_a_python_endpoint_url_is_checked_too() -> None:
    import flowsql
    from flowsql.errors import ConfigError

    with pytest.raises(ConfigError, match="endpoint URL"):
        flowsql.connect(engine="athena", location="s3://bucket-one/", endpoint_url="not-a-url")


def test_partitions_add_bounds_its_range(workdir: Path, flowsql_cli) -> None:  # type: ignore[no-untyped-def]
    base = ["partitions", "add", "--location", "s3://bucket-one/", "--partitioning", "partitions",
            "--via", "print", "--accounts", "111122223333", "--regions", "us-east-1"]  # fmt: skip
    result = flowsql_cli(*base, "--start", "2024-01-01", "--end", "9999-12-31")
    assert_user_error(result, "spans 2,913,174 days", "at most 3,660 days")
    assert_user_error(flowsql_cli(*base, "--start", "2015-01-01", "--end", "2025-01-08"), "3,661 days")
    ten_years = flowsql_cli(*base, "--start", "2015-01-01", "--end", "2025-01-07")  # 3,660 days
    assert ten_years.code == 0, ten_years
    assert ten_years.out.count("PARTITION (") == 3660


# --- relative folders in the config are relative to the config file ------------------------------


def _mine(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "mine.sql").write_text(
        "-- name: mine\n-- title: Mine\n-- description: Mine.\n-- category: health\n"
        "-- fields: [start, log_status]\n-- columns: [n]\n"
        "SELECT count(*) AS n FROM {{ table }} WHERE {{ in_window() }} AND log_status = 'OK'\n",
        encoding="utf-8",
    )


@pytest.mark.parametrize("how", ["--config", "FLOWSQL_CONFIG"])
def test_relative_location_and_queries_resolve_against_the_config_folder(tmp_path: Path, how: str) -> None:
    """`flowsql --config proj/.flowsql.yaml run …` from any folder reads proj/logs and proj/q."""
    project = tmp_path / "proj"
    generate(project / "logs", days=1, end="2024-05-01", records=200, seed=9)
    _mine(project / "q")
    (project / ".flowsql.yaml").write_text("table: {location: ./logs}\nqueries: [./q]\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWSQL_") or k == "FLOWSQL_CACHE_DIR"}
    args = ["run", "mine", "-p", "start=2024-05-01", "--format", "json"]
    if how == "--config":
        args = ["--config", "../proj/.flowsql.yaml", *args]
    else:
        env["FLOWSQL_CONFIG"] = str(Path("..") / "proj" / ".flowsql.yaml")
    exe = Path(sys.executable).with_name("flowsql")
    done = subprocess.run(
        [str(exe), *args], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done
    import json

    (row,) = json.loads(done.stdout)
    assert row["n"] > 0


def test_init_saves_a_location_relative_to_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flowsql_cli
) -> None:  # type: ignore[no-untyped-def]
    from flowsql import config

    project = tmp_path / "proj"
    generate(project / "logs", days=1, end="2024-05-01", records=100, seed=2)
    (project / ".flowsql.yaml").write_text("# settings\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = flowsql_cli("--config", "proj/.flowsql.yaml", "init", "--location", "proj/logs")
    assert result.code == 0, result
    saved = (project / ".flowsql.yaml").read_text(encoding="utf-8")
    assert "location: ./logs/" in saved, saved
    monkeypatch.chdir(project)
    assert config.load().table_spec().location == str(project / "logs") + "/"
