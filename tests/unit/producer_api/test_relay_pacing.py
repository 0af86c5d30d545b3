"""The drain interval: the shortest at moderate rates, stretched with the rate under load."""

from __future__ import annotations

import pytest

from producer_api.relay.pacing import DrainPacer


def _pacer() -> DrainPacer:
    return DrainPacer(shortest=0.010, longest=0.030, stretch_above=250.0)


def _steady(pacer: DrainPacer, events_per_second: float, drains: int = 40) -> None:
    for _ in range(drains):
        seconds = pacer.interval
        pacer.observe(round(events_per_second * seconds), seconds)


def test_an_idle_relay_drains_at_the_shortest_interval() -> None:
    assert _pacer().interval == pytest.approx(0.010)


@pytest.mark.parametrize("rate", [20.0, 200.0, 250.0])
def test_a_moderate_rate_keeps_the_shortest_interval(rate: float) -> None:
    pacer = _pacer()
    _steady(pacer, rate)
    assert pacer.interval == pytest.approx(0.010, abs=0.0006)


def test_the_interval_grows_in_proportion_to_the_rate_above_the_threshold() -> None:
    pacer = _pacer()
    _steady(pacer, 500.0)
    assert pacer.interval == pytest.approx(0.020, rel=0.1)


def test_the_interval_stops_at_the_longest() -> None:
    pacer = _pacer()
    _steady(pacer, 5_000.0)
    assert pacer.interval == pytest.approx(0.030)


def test_a_quiet_spell_brings_the_interval_back_down() -> None:
    pacer = _pacer()
    _steady(pacer, 5_000.0)
    for _ in range(10):
        pacer.observe(0, 0.5)
    assert pacer.interval == pytest.approx(0.010)


def test_a_drain_at_the_same_instant_counts_as_no_rate() -> None:
    pacer = _pacer()
    pacer.observe(10, 0.0)
    assert pacer.interval == pytest.approx(0.010)
