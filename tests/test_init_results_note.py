"""`flowsql init` on S3 names where an output location the workgroup overrides came from: the
--output-location option of this command, or the project's saved settings (real entry point, moto)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from cli_process import flowsql

BUCKET = "journey-logs"


@pytest.fixture
def project(moto, tmp_path: Path) -> Path:
    made = flowsql("sample", "upload", "--records", "1000", "--end", "2024-05-02", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    s3 = moto.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    for path in (tmp_path / "upload").rglob("*.log.gz"):
        s3.upload_file(str(path), BUCKET, "vpc/" + path.relative_to(tmp_path / "upload").as_posix())
    moto.client("athena").create_work_group(
        Name="analysts",
        Configuration={
            "ResultConfiguration": {"OutputLocation": f"s3://{BUCKET}/athena-results/"},
            "EnforceWorkGroupConfiguration": True,
        },
    )
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


def test_a_saved_output_location_is_named_as_saved_not_as_an_option(project: Path) -> None:
    results = f"s3://{BUCKET}/results/"
    first = flowsql("init", "--location", f"s3://{BUCKET}/vpc", "--output-location", results, cwd=project)
    assert first.returncode == 0, first.stderr
    assert yaml.safe_load((project / ".flowsql.yaml").read_text())["athena"]["output_location"] == results

    again = flowsql("init", "--location", f"s3://{BUCKET}/vpc", "--workgroup", "analysts", cwd=project)
    assert again.returncode == 0, again.stderr
    [note] = [line for line in again.stdout.splitlines() if "is not used" in line]
    assert "--output-location" not in note
    saved_in = project.resolve() / ".flowsql.yaml"
    assert f"output_location (saved in {saved_in}) {results} is not used" in note
    assert "workgroup analysts in us-east-1 enforces its own" in note
    assert "output_location" not in yaml.safe_load(saved_in.read_text())["athena"]


def test_an_output_location_passed_on_the_command_is_named_as_the_option(project: Path) -> None:
    results = f"s3://{BUCKET}/results/"
    done = flowsql(
        "init", "--location", f"s3://{BUCKET}/vpc", "--workgroup", "analysts", "--output-location", results,
        cwd=project,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"! --output-location {results} is not used: workgroup analysts" in done.stdout
