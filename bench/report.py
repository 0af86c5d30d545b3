"""One table for every benchmark: measure, ours, baseline, ratio, goal, pass or fail, and
for a baseline that is a peer a user would run instead, the peer and which side wins."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path


def rounded(rates: list[float]) -> list[int]:
    """Rates of the rounds of a measure, for its progress line."""
    return [round(rate) for rate in rates]


@dataclass(frozen=True)
class Measure:
    name: str
    unit: str
    ours: float
    baseline: float
    baseline_name: str
    goal: float
    # "min": ratio must be at least the goal; "max": at most.
    direction: str = "min"
    # A goal stated as an absolute bound on ``ours`` (latency in ms), checked as well.
    absolute_max: float | None = None
    # The peer the baseline is (a project a user would run instead), if it is one.
    peer: str | None = None
    # Ratios of paired rounds (ours beside the baseline's, run back to back): the ratio is
    # then their median, which a slow spell of the machine moves less than it moves either
    # side's median.
    paired_ratios: tuple[float, ...] = ()

    @property
    def ratio(self) -> float:
        if self.paired_ratios:
            return statistics.median(self.paired_ratios)
        return self.ours / self.baseline if self.baseline else 0.0

    @property
    def winner(self) -> str:
        """Against a peer, which side did better (whatever the goal); "" otherwise."""
        if self.peer is None:
            return ""
        if self.direction == "min":
            return "ours" if self.ours >= self.baseline else "peer"
        return "ours" if self.ours <= self.baseline else "peer"

    @property
    def passed(self) -> bool:
        within = self.ratio >= self.goal if self.direction == "min" else self.ratio <= self.goal
        if self.absolute_max is not None:
            within = within and self.ours <= self.absolute_max
        return within


def print_table(measures: list[Measure]) -> None:
    header = (
        f"{'measure':<44} {'ours':>12} {'baseline':>12} {'ratio':>7} {'goal':>7}  "
        f"{'result':<6} {'peer':<16} wins"
    )
    print(header)
    print("-" * len(header))
    for m in measures:
        goal = f"{'>=' if m.direction == 'min' else '<='}{m.goal:g}"
        print(
            f"{m.name:<44} {m.ours:>12,.1f} {m.baseline:>12,.1f} {m.ratio:>7.2f} {goal:>7}  "
            f"{'pass' if m.passed else 'FAIL':<6} {m.peer or '-':<16} {m.winner or '-'}"
        )
    for m in measures:
        bound = f"; and at most {m.absolute_max:g} {m.unit}" if m.absolute_max is not None else ""
        paired = (
            f"; ratio = median of {len(m.paired_ratios)} paired rounds, which ranged "
            f"{min(m.paired_ratios):.2f}-{max(m.paired_ratios):.2f}"
            if m.paired_ratios
            else ""
        )
        print(f"  {m.name}: {m.unit}; baseline = {m.baseline_name}{bound}{paired}")


def write_results(measures: list[Measure], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = directory / f"bench-{stamp}.json"
    document = {
        "when": stamp,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count() or 0},
        "measures": [
            {**asdict(m), "ratio": m.ratio, "passed": m.passed, "winner": m.winner}
            for m in measures
        ],
    }
    path.write_text(json.dumps(document, indent=2))
    return path


def pair_ratios(ours: list[float], baselines: list[float]) -> tuple[float, ...]:
    """Each pair's ratio, from rounds of the two sides run back to back: a slow spell of the
    machine then weighs on both sides of a pair, not on one side's median."""
    return tuple(mine / theirs for mine, theirs in zip(ours, baselines, strict=True))
