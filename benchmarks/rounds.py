"""Contenders and rounds: each contender timed side by side in rotating order, ratios within rounds,
and each run's peak memory (the child's own maximum resident set, from wait4)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Contender:
    name: str
    args: list[str]
    env: dict[str, str] | None = None
    rounds: int | None = None  # None: every round
    repeat: int = 1  # runs per round (more for the sub-second ones)
    answers: bool = True  # prints top_talkers rows as JSON
    before: Callable[[], None] | None = None  # run before each timed run, untimed (e.g. empty a cache)
    after: Callable[[], None] | None = None  # run after each timed run, untimed (e.g. wait for a fill)
    per_round: list[list[float]] = field(default_factory=list)
    peak_kb: list[int] = field(default_factory=list)
    rows: Any = None

    @property
    def times(self) -> list[float]:
        return [t for r in self.per_round for t in r]

    @property
    def median(self) -> float:
        return statistics.median(self.times) if self.times else float("nan")

    @property
    def peak_mb(self) -> float:
        return statistics.median(self.peak_kb) / 1024 if self.peak_kb else float("nan")


def paired_ratio(a: list[list[float]], b: list[list[float]]) -> float:
    """The median over rounds of a's median over b's median within the round: contenders that ran
    seconds apart share the machine's mood, so their ratio is steadier than a ratio of medians."""
    ratios = [statistics.median(x) / statistics.median(y) for x, y in zip(a, b, strict=False) if x and y]
    return statistics.median(ratios) if ratios else float("nan")


def paired_difference(a: list[list[float]], b: list[list[float]]) -> float:
    """Like paired_ratio, for a - b (seconds)."""
    diffs = [statistics.median(x) - statistics.median(y) for x, y in zip(a, b, strict=False) if x and y]
    return statistics.median(diffs) if diffs else float("nan")


def _run_once(contender: Contender) -> tuple[float, int, str, str]:
    """One run: wall seconds, peak resident set in KB, stdout, stderr."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        began = time.perf_counter()
        process = subprocess.Popen(
            contender.args, stdout=out, stderr=err, env=contender.env, cwd=tempfile.gettempdir()
        )
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - began
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        raise RuntimeError(f"{contender.name} failed ({process.returncode}): {stderr.strip()[-1500:]}")
    return seconds, int(usage.ru_maxrss), stdout, stderr


def run_round(contender: Contender) -> None:
    times = []
    stdout = ""
    for _ in range(contender.repeat):
        if contender.before is not None:
            contender.before()
        seconds, peak, stdout, _stderr = _run_once(contender)
        if contender.after is not None:
            contender.after()
        times.append(seconds)
        contender.peak_kb.append(peak)
    contender.per_round.append(times)
    if contender.answers:
        rows = json.loads(stdout)
        contender.rows = [
            [r[k] for k in ("srcaddr", "dstaddr", "bytes", "packets", "flows")] if isinstance(r, dict) else r
            for r in rows
        ]
