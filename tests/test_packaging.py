"""A non-editable install must ship ddl/ and queries/ inside the package and find them at run time."""

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    return next(out.glob("flowsql-*.whl"))


def test_wheel_contains_the_templates_and_queries(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for ddl in (ROOT / "ddl").glob("*.sql"):
        assert f"flowsql/ddl/{ddl.name}" in names
    queries = list((ROOT / "queries").glob("*.sql"))
    for query in queries:
        assert f"flowsql/queries/{query.name}" in names
    assert any(n.endswith("entry_points.txt") for n in names)


def test_installed_wheel_finds_its_data_outside_the_checkout(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    python = env_dir / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--force-reinstall",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    probe = (
        "import flowsql.investigations.templates as t, pathlib;"
        "d = t.resource_dir('ddl'); q = t.resource_dir('queries');"
        "print(d); print(q); print(len(list(d.glob('*.sql'))))"
    )
    result = subprocess.run(
        [str(python), "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    ddl_dir, queries_dir, count = result.stdout.split()
    assert str(env_dir) in ddl_dir and str(env_dir) in queries_dir
    assert str(ROOT) not in ddl_dir
    assert int(count) == len(list((ROOT / "ddl").glob("*.sql")))
