"""`flowsql demo`, the README's first command: it runs through the real entry point, needs no AWS,
finishes well under a minute, and reports the incidents that were planted."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from flowsql.results import format_bytes
from flowsql.sample.generator import SampleSet, generate


def _demo(*args: str, cwd: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWSQL_")}
    # The test session's own cache folder (conftest), never the shared ~/.cache/flowsql.
    env["FLOWSQL_CACHE_DIR"] = os.environ.get("FLOWSQL_CACHE_DIR", "")
    # Any AWS call would go here and fail: the demo must not need one.
    env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"
    began = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "flowsql", "demo", *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=cwd,
        env=env,
        check=False,
    )
    return proc, time.perf_counter() - began


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> SampleSet:
    """The incidents the demo plants: the same seed, records and days give the same incidents."""
    return generate(tmp_path_factory.mktemp("reference"), records=20_000)


def test_demo_finds_every_planted_incident(tmp_path: Path, planted: SampleSet) -> None:
    # a config file in the working directory must not change what the demo shows
    (tmp_path / ".flowsql.yaml").write_text("engine: athena\ntable:\n  log_format: '${version} ${srcaddr}'\n")
    proc, _seconds = _demo(cwd=tmp_path)  # speed is the benchmark's to judge, not a test's
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    inc = planted.incidents
    ctx = planted.context
    assert ctx is not None
    assert "Traceback" not in proc.stderr
    ssh = inc.ssh_brute_force
    assert f"{ssh.source} made {ssh.records:,} rejected SSH attempts against 3 hosts" in out
    scan = inc.port_scan
    assert f"{scan.source} probed {scan.ports:,} ports on 1 host" in out
    sweep = inc.host_scan
    assert f"{sweep.source} tried {len(sweep.targets)} addresses on port 445 (SMB)" in out
    exfil = inc.exfiltration
    assert f"{exfil.source} sent {format_bytes(exfil.bytes)} to {exfil.targets[0]}:443" in out
    blocked = inc.blocked_port
    assert f"request REJECT at {blocked.interfaces[1]} ({blocked.targets[0]}'s interface)" in out
    assert f"request ACCEPT at {blocked.interfaces[0]} ({blocked.source}'s interface)" in out
    exposed = inc.public_exposure
    assert f"MySQL on {exposed.targets[0]}:3306 accepted" in out and "from 5 internet addresses" in out
    assert f"{inc.skipdata.interfaces[0]} lost records {inc.skipdata.records} times (SKIPDATA)" in out
    assert f"{inc.nodata.interfaces[0]} had no traffic at all" in out
    # the context steps: a security-group finding and a NAT gateway cost finding from the inventory
    cidrs = ", ".join(sorted(f"{a}/32" for a in ctx.open_rule.targets))
    assert f"allows TCP 5986 from 0.0.0.0/0 but only 2 sources used it: allow {cidrs} instead" in out
    assert "1 rule matched nothing (app TCP 5672 from 10.10.0.0/16)" in out
    assert f"{ctx.nat_gateway_id} processed" in out
    assert (
        f"of it was S3 traffic of {ctx.nat_s3.source} (batch), which an S3 gateway endpoint would carry"
        in out
    )
    assert "app1 (use1-az1) sent" in out and "to app2 (use1-az2)" in out
    assert (
        f"the largest new destinations: {exfil.targets[0]} " in out and ctx.new_destination.targets[0] in out
    )
    assert "no AWS account used" in out
    # the sample stays in ./flowsql-demo with settings describing it
    assert sorted((tmp_path / "flowsql-demo").rglob("*.log.gz"))
    assert (tmp_path / "flowsql-demo" / ".flowsql.yaml").exists()


def test_demo_keeps_its_logs_in_a_given_folder_and_can_run_again(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    proc, _ = _demo("--dir", str(folder), "--records", "5000", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    files = sorted(folder.rglob("*.log.gz"))
    assert files
    yesterday = datetime.now(timezone.utc).date() - timedelta(days=1)
    assert any(yesterday.strftime("%Y/%m/%d") in str(p) for p in files)
    assert "flowsql run top_talkers --start " in proc.stdout
    again, _ = _demo("--dir", str(folder), "--records", "5000", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert sorted(folder.rglob("*.log.gz")) == files


def test_demo_refuses_a_folder_holding_other_flow_logs(tmp_path: Path) -> None:
    theirs = tmp_path / "AWSLogs" / "123456789012" / "vpcflowlogs" / "keep.log.gz"
    theirs.parent.mkdir(parents=True)
    theirs.write_bytes(b"not ours")
    proc, _ = _demo("--dir", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 2
    assert "did not write" in proc.stderr and "Traceback" not in proc.stderr
    assert theirs.read_bytes() == b"not ours"
