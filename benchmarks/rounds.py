"""Contenders and rounds: each contender timed side by side in rotating order, ratios within rounds."""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
import time
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
    per_round: list[list[float]] = field(default_factory=list)
    rows: Any = None

    @property
    def times(self) -> list[float]:
        return [t for r in self.per_round for t in r]

    @property
    def median(self) -> float:
        return statistics.median(self.times) if self.times else float("nan")


def paired_ratio(a: list[list[float]], b: list[list[float]]) -> float:
    """The median over rounds of a's median over b's median within the round: contenders that ran
    seconds apart share the machine's mood, so their ratio is steadier than a ratio of medians."""
    ratios = [statistics.median(x) / statistics.median(y) for x, y in zip(a, b, strict=False) if x and y]
    return statistics.median(ratios) if ratios else float("nan")


def run_round(contender: Contender) -> None:
    times = []
    for _ in range(contender.repeat):
        began = time.perf_counter()
        done = subprocess.run(
            contender.args, capture_output=True, text=True, env=contender.env, cwd=tempfile.gettempdir()
        )
        times.append(time.perf_counter() - began)
        if done.returncode != 0:
            raise RuntimeError(f"{contender.name} failed ({done.returncode}): {done.stderr.strip()[-1500:]}")
    contender.per_round.append(times)
    if contender.answers:
        rows = json.loads(done.stdout)
        contender.rows = [
            [r[k] for k in ("srcaddr", "dstaddr", "bytes", "packets", "flows")] if isinstance(r, dict) else r
            for r in rows
        ]
