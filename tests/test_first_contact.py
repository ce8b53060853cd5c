"""First contact: the journeys a new user walks, each through the real `flowsql` entry point in a
subprocess (moto on 127.0.0.1 for AWS), checked by what was created and saved, not by the wording alone.

1. S3 -> Athena: init finds where Athena writes results, saves the engine and settings, run works.
2. A local folder: init finds layout, partitioning, file format, accounts, Regions and log format.
6. The demo and `flowsql sample` print commands that work as printed.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from flowsql.tables import fields

BUCKET = "journey-logs"
SSH_SOURCE = "185.220.101.47"  # the brute force every sample plants
SHUFFLED = (
    "${srcaddr} ${dstaddr} ${version} ${action} ${bytes} ${start} ${end} ${log-status} ${dstport} ${packets} "
    "${protocol} ${srcport} ${interface-id} ${account-id}"
)


def flowsql(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("FLOWSQL_")}
    base["FLOWSQL_CACHE_DIR"] = os.environ.get("FLOWSQL_CACHE_DIR", "")
    return subprocess.run(
        [sys.executable, "-m", "flowsql", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=env if env is not None else base,
        check=False,
    )


def shell_lines(out: str, prefix: str) -> list[list[str]]:
    """The printed command lines starting with `prefix`, split as a shell would."""
    return [shlex.split(line.strip()) for line in out.splitlines() if line.strip().startswith(prefix)]


def sample(folder: Path, *options: str) -> subprocess.CompletedProcess[str]:
    made = flowsql(
        "sample", folder.name, "--records", "3000", "--end", "2024-05-02", *options, cwd=folder.parent
    )
    assert made.returncode == 0, made.stderr
    return made


def saved(folder: Path) -> dict:
    return yaml.safe_load((folder / ".flowsql.yaml").read_text())


# --- 1. S3 -> Athena ------------------------------------------------------------------------------


@pytest.fixture
def s3_logs(moto, tmp_path: Path) -> Path:
    """A sample with every field, uploaded to s3://journey-logs/vpc/ on the moto server."""
    local = tmp_path / "upload"
    sample(local, "--log-format", "all")
    s3 = moto.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    for path in local.rglob("*.log.gz"):
        s3.upload_file(str(path), BUCKET, "vpc/" + path.relative_to(local).as_posix())
    project = tmp_path / "project"
    project.mkdir()
    return project


def athena_queries(moto) -> list[dict]:
    athena = moto.client("athena")
    ids = athena.list_query_executions()["QueryExecutionIds"]
    found = [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"] for i in ids]
    return sorted(found, key=lambda q: q["Status"]["SubmissionDateTime"])


def test_s3_init_reads_the_workgroup_then_run_works_on_athena(moto, s3_logs: Path) -> None:
    import sqlglot
    from sqlglot import exp

    moto.client("athena").create_work_group(
        Name="analysts",
        Configuration={
            "ResultConfiguration": {"OutputLocation": f"s3://{BUCKET}/athena-results/"},
            "EnforceWorkGroupConfiguration": True,
        },
    )
    init = flowsql("init", "--location", f"s3://{BUCKET}/vpc", "--workgroup", "analysts", cwd=s3_logs)
    assert init.returncode == 0, init.stderr
    assert f"s3://{BUCKET}/athena-results/ (set by workgroup analysts in us-east-1, enforced)" in init.stdout
    config = saved(s3_logs)
    assert config["engine"] == "athena"
    assert config["athena"]["workgroup"] == "analysts" and config["athena"]["region"] == "us-east-1"
    assert "output_location" not in config["athena"]  # the workgroup's own location applies
    # the format came from the header line, so every field is declared and every investigation applies
    assert config["table"]["log_format"] == fields.format_string(fields.CATALOGUE)
    glue = moto.client("glue").get_table(DatabaseName="vpc_flow_logs", Name="flow_logs")["Table"]
    assert len(glue["StorageDescriptor"]["Columns"]) == len(fields.CATALOGUE)

    run = flowsql("run", "top_talkers", "-p", "start=2024-05-01", "-p", "end=2024-05-02", cwd=s3_logs)
    assert run.returncode == 0, run.stderr
    assert "athena" in run.stderr
    sent = athena_queries(moto)[-1]
    assert sent["WorkGroup"] == "analysts"
    tree = sqlglot.parse_one(sent["Query"], read="athena")
    assert [t.name for t in tree.find_all(exp.Table)] == ["flow_logs"]


def test_s3_init_without_a_result_location_says_what_to_pass(moto, s3_logs: Path) -> None:
    refused = flowsql("init", "--location", f"s3://{BUCKET}/vpc", cwd=s3_logs)
    assert refused.returncode == 2
    assert (
        "Athena needs a place for query results and workgroup primary in us-east-1 sets none"
        in refused.stderr
    )
    assert (
        "pass --output-location s3://BUCKET/PREFIX/" in refused.stderr
        and "--workgroup NAME" in refused.stderr
    )
    assert "Traceback" not in refused.stderr and "internal error" not in refused.stderr
    assert moto.client("glue").get_databases()["DatabaseList"] == []  # checked before creating anything
    assert not (s3_logs / ".flowsql.yaml").exists()

    results = f"s3://{BUCKET}/results"
    init = flowsql("init", "--location", f"s3://{BUCKET}/vpc", "--output-location", results, cwd=s3_logs)
    assert init.returncode == 0, init.stderr
    assert saved(s3_logs)["athena"]["output_location"] == results + "/"
    run = flowsql("run", "top_talkers", "-p", "start=2024-05-01", "-p", "end=2024-05-02", cwd=s3_logs)
    assert run.returncode == 0, run.stderr
    where = athena_queries(moto)[-1]["ResultConfiguration"]["OutputLocation"]
    assert where.startswith(results + "/")


def test_run_on_athena_without_a_result_location_is_one_message(moto, s3_logs: Path) -> None:
    result = flowsql(
        "run", "top_talkers", "--engine", "athena", "--location", f"s3://{BUCKET}/vpc",
        "--accounts", "111122223333", "--regions", "us-east-1", cwd=s3_logs,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: Athena needs a place for query results")
    assert "flowsql init" in result.stderr and "SELECT" not in result.stderr
    assert athena_queries(moto) == []


def test_a_workgroup_that_does_not_exist_is_named(moto, s3_logs: Path) -> None:
    result = flowsql("init", "--location", f"s3://{BUCKET}/vpc", "--workgroup", "nope", cwd=s3_logs)
    assert result.returncode == 2
    assert "Athena workgroup nope does not exist" in result.stderr


def _no_credentials(tmp_path: Path, endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FLOWSQL_"))}
    empty = tmp_path / "empty-aws-file"
    empty.write_text("")
    env.update(
        AWS_CONFIG_FILE=str(empty),
        AWS_SHARED_CREDENTIALS_FILE=str(empty),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL=endpoint,
    )
    return env


def test_without_credentials_every_command_says_so_in_one_message(
    moto, s3_logs: Path, tmp_path: Path
) -> None:
    (s3_logs / ".flowsql.yaml").write_text(
        yaml.safe_dump(
            {
                "engine": "athena",
                "table": {
                    "location": f"s3://{BUCKET}/vpc/",
                    "accounts": ["111122223333"],
                    "regions": ["us-east-1"],
                },
                "athena": {"output_location": f"s3://{BUCKET}/results/"},
            }
        )
    )
    env = _no_credentials(tmp_path, moto.url)
    for args in (
        ["describe"],
        ["run", "top_talkers", "-p", "start=2024-05-01", "-p", "end=2024-05-02"],
        ["init", "--location", f"s3://{BUCKET}/vpc"],
        ["run", "top_talkers", "--estimate", "-p", "start=2024-05-01", "-p", "end=2024-05-02"],
    ):
        result = flowsql(*args, cwd=s3_logs, env=env)
        assert result.returncode == 1, (args, result.stderr)
        assert result.stderr.startswith("error: no AWS credentials found"), (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 2, (args, result.stderr)  # the message and a hint
        assert "SELECT" not in result.stderr and "internal error" not in result.stderr


def test_a_listing_failure_never_asks_for_options_already_given(moto, tmp_path: Path) -> None:
    result = flowsql(
        "init", "--location", "s3://no-such-bucket/vpc", "--accounts", "111122223333", "--regions", "us-east-1",
        "--output-location", "s3://no-such-bucket/results/", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert "NoSuchBucket" in result.stderr
    assert "--accounts" not in result.stderr and "--regions" not in result.stderr


def test_a_credentials_error_from_aws_is_recognised() -> None:
    import botocore.exceptions

    from flowsql import aws

    expired = botocore.exceptions.ClientError(
        {
            "Error": {
                "Code": "ExpiredTokenException",
                "Message": "The security token included in the request is expired",
            }
        },
        "StartQueryExecution",
    )
    problem = aws.credentials_problem(expired)
    assert problem is not None and "AWS rejected the credentials: ExpiredTokenException" in problem.message
    denied = botocore.exceptions.ClientError(
        {"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetObject"
    )
    assert aws.credentials_problem(denied) is None  # a permission, not the credentials


# --- 2. A local folder ----------------------------------------------------------------------------

VARIANTS = {
    "aws-daily-text-v2": ([], ("aws", False, "text", fields.format_string(
        fields.BY_NAME[n] for n in fields.DEFAULT_FORMAT))),
    "hive-hourly-text-all": (["--layout", "hive", "--hourly", "--log-format", "all"],
                             ("hive", True, "text", fields.format_string(fields.CATALOGUE))),
    "aws-daily-parquet": (["--file-format", "parquet"], ("aws", False, "parquet", fields.format_string(
        fields.BY_NAME[n] for n in fields.DEFAULT_FORMAT))),
    "hive-daily-text-shuffled": (["--layout", "hive", "--log-format", SHUFFLED], ("hive", False, "text", SHUFFLED)),
}  # fmt: skip


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_sample_then_init_as_printed_finds_what_the_files_are(tmp_path: Path, variant: str) -> None:
    options, (layout, hourly, file_format, log_format) = VARIANTS[variant]
    made = sample(tmp_path / "flowlogs", "--accounts", "111122223333,444455556666", *options)
    [init] = shell_lines(made.stdout, "flowsql init")
    assert init == ["flowsql", "init", "--location", "flowlogs"]  # one line to paste, no flags to copy
    found = flowsql(*init[1:], cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    kind = "AWS default" if layout == "aws" else "Hive-compatible"
    assert (
        f"{kind} prefixes, {'hourly' if hourly else 'daily'} partitions, {file_format} files" in found.stdout
    )
    assert "111122223333, 444455556666" in found.stdout
    table = saved(tmp_path)["table"]
    assert (table["layout"], table["hourly"], table["file_format"]) == (layout, hourly, file_format)
    assert table["log_format"] == log_format
    assert table["accounts"] == ["111122223333", "444455556666"] and table["regions"] == ["us-east-1"]
    [run] = shell_lines(made.stdout, "flowsql run")
    rows = flowsql(*run[1:], "--format", "json", cwd=tmp_path)
    assert rows.returncode == 0, rows.stderr
    assert yaml.safe_load(rows.stdout)[0]["srcaddr"] == SSH_SOURCE


def test_init_over_every_field_makes_every_investigation_available(tmp_path: Path) -> None:
    sample(tmp_path / "flowlogs", "--log-format", "all")
    assert flowsql("init", "--location", "./flowlogs", cwd=tmp_path).returncode == 0
    listed = flowsql("list", "--format", "json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    unavailable = [i["name"] for i in yaml.safe_load(listed.stdout) if not i["available"]]
    # every VPC field: all but the transit gateway investigations (a VPC flow log has no tgw fields)
    assert unavailable == ["tgw_cross_account_traffic", "tgw_drops", "tgw_top_attachment_pairs"]


def test_files_of_several_formats_are_reported_and_all_their_fields_declared(tmp_path: Path) -> None:
    sample(tmp_path / "flowlogs", "--accounts", "111122223333")
    sample(tmp_path / "other", "--accounts", "444455556666", "--log-format", "all")
    shutil.copytree(tmp_path / "other/AWSLogs/444455556666", tmp_path / "flowlogs/AWSLogs/444455556666")
    result = flowsql("init", "--location", "./flowlogs", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "2 log formats in the files:" in result.stdout
    lines = result.stdout.splitlines()
    v2 = next(line for line in lines if "the 14 default (version 2) fields" in line)
    v8 = next(line for line in lines if f"version 8, {len(fields.CATALOGUE)} fields" in line)
    assert "AWSLogs/111122223333/" in v2 and "AWSLogs/444455556666/" in v8
    table = saved(tmp_path)["table"]
    assert table["log_format"] == fields.format_string(fields.CATALOGUE)  # v2 fields first, then the rest
    assert table["accounts"] == ["111122223333", "444455556666"]
    rows = flowsql("run", "rejected_ssh_sources", "-p", "start=2024-05-01", "-p", "end=2024-05-03",
                   "--format", "json", cwd=tmp_path)  # fmt: skip
    assert rows.returncode == 0, rows.stderr
    assert yaml.safe_load(rows.stdout)[0]["srcaddr"] == SSH_SOURCE


def test_a_log_format_the_header_lines_contradict_is_refused(tmp_path: Path) -> None:
    sample(tmp_path / "flowlogs", "--log-format", "all")
    result = flowsql("init", "--location", "./flowlogs", "--log-format", "${version} ${srcaddr} ${dstaddr}",
                     cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2
    assert "the log format does not match the files" in result.stderr
    assert "    version srcaddr dstaddr\n" in result.stderr
    assert not (tmp_path / ".flowsql.yaml").exists()


def test_options_the_files_contradict_are_refused_with_what_they_hold(tmp_path: Path) -> None:
    sample(tmp_path / "flowlogs", "--hourly")
    result = flowsql("init", "--location", "./flowlogs", "--daily", cwd=tmp_path)
    assert result.returncode == 2
    assert (
        "do not match --daily" in result.stderr and "AWS default prefixes, hourly partitions" in result.stderr
    )
    assert not (tmp_path / ".flowsql.yaml").exists()


def test_dry_run_says_what_it_found_and_saves_nothing(tmp_path: Path) -> None:
    sample(tmp_path / "flowlogs")
    result = flowsql("init", "--location", "./flowlogs", "--dry-run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "would found" not in result.stdout
    assert "would save settings to" in result.stdout and "AWS default prefixes" in result.stdout
    assert not (tmp_path / ".flowsql.yaml").exists()


# --- 6. The demo, and the examples --------------------------------------------------------------


def test_the_demo_prints_commands_that_work_as_printed(tmp_path: Path) -> None:
    demo = flowsql("demo", "--records", "3000", cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    folder = tmp_path / "flowsql-demo"
    assert (folder / ".flowsql.yaml").exists() and sorted(folder.rglob("*.log.gz"))
    assert "cd flowsql-demo" in demo.stdout
    commands = shell_lines(demo.stdout, "flowsql run") + shell_lines(demo.stdout, "flowsql list")
    assert len(commands) >= 8  # the seven steps, then list and top_talkers
    for command in commands:
        result = flowsql(*command[1:], cwd=folder)
        assert result.returncode == 0, (command, result.stderr)
        assert result.stdout.strip(), command
    first = shell_lines(demo.stdout, "flowsql run rejected_ssh_sources")[0]
    assert SSH_SOURCE in flowsql(*first[1:], cwd=folder).stdout


def test_athena_setup_example_in_its_documented_form(tmp_path: Path) -> None:
    sample(tmp_path / "flowlogs")
    script = Path(__file__).resolve().parent.parent / "examples" / "athena_setup.py"
    result = subprocess.run(
        [sys.executable, str(script), "./flowlogs", "--start", "2024-05-01", "--end", "2024-05-03"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "'projection.account_partition.values' = '111122223333'" in result.stdout
    assert "Running it on DuckDB" in result.stdout and "5 rows" in result.stdout
