"""The benchmark table: against a peer, which side wins, whatever the goal."""

from __future__ import annotations

import pytest

from bench.report import Measure, print_table


def measure(ours: float, baseline: float, direction: str, peer: str | None) -> Measure:
    return Measure("m", "u", ours, baseline, "b", 1.0, direction=direction, peer=peer)


@pytest.mark.parametrize(
    ("ours", "baseline", "direction", "winner"),
    [
        (120.0, 100.0, "min", "ours"),  # a rate: more is better
        (80.0, 100.0, "min", "peer"),
        (20.0, 27.0, "max", "ours"),  # a latency: less is better
        (30.0, 27.0, "max", "peer"),
    ],
)
def test_the_better_side_wins(ours: float, baseline: float, direction: str, winner: str) -> None:
    assert measure(ours, baseline, direction, "Debezium").winner == winner


def test_a_baseline_of_our_own_names_no_winner(capsys: pytest.CaptureFixture[str]) -> None:
    own = measure(120.0, 100.0, "min", None)
    assert own.winner == ""
    print_table([own, measure(80.0, 100.0, "min", "Debezium")])
    rows = capsys.readouterr().out.splitlines()[2:4]
    assert rows[0].split()[-2:] == ["-", "-"]
    assert rows[1].split()[-2:] == ["Debezium", "peer"]


def test_paired_rounds_give_the_median_of_their_ratios(
    capsys: pytest.CaptureFixture[str],
) -> None:
    paired = Measure("m", "u", 100.0, 100.0, "b", 1.0, paired_ratios=(0.9, 0.6, 1.2))
    assert paired.ratio == 0.9
    print_table([paired])
    assert "median of 3 paired rounds, which ranged 0.60-1.20" in capsys.readouterr().out
