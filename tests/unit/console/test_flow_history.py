"""The flow's history: every read kept as a sample, a sampler between page reads, columns for
the charts, and a bounded memory."""

from __future__ import annotations

import threading
from itertools import count

from console.flow import FlowView, LakeFigures, OutboxFigures, RelayFigures
from console.flow_history import FlowHistory
from console.kafka_view import PartitionLag


def view(n: int) -> FlowView:
    return FlowView(
        topic="t",
        group="g",
        outbox=OutboxFigures(backlog=float(n), oldest_unsent_seconds=0.1, sent_kept=None),
        relay=RelayFigures(sent=None, errors_by_kind={}, healthy=True, sent_per_second=n * 10.0),
        lake=LakeFigures(
            records_by_outcome={},
            records_per_second=None if n == 0 else n * 9.0,
            files=None,
            dead_letters_by_reason={},
            snapshots=None,
            data_files=None,
            files_per_minute=2.0,
        ),
        partitions=[PartitionLag(0, 100, 100 - n)],
    )


def test_each_read_is_a_sample_and_the_series_are_columns_oldest_first() -> None:
    numbers = count()
    clock = count(1_000)
    history = FlowHistory(lambda: view(next(numbers)), 3600.0, clock=lambda: float(next(clock)))
    try:
        assert history.read().total_lag == 0
        history.read()
        history.read()
        series = history.series()
    finally:
        history.close()
    assert series["at"] == [1000.0, 1001.0, 1002.0]
    assert series["relay_sent_per_second"] == [0.0, 10.0, 20.0]
    assert series["lake_records_per_second"] == [None, 9.0, 18.0]
    assert series["outbox_backlog"] == [0.0, 1.0, 2.0]
    assert series["total_lag"] == [0.0, 1.0, 2.0]
    assert series["lake_files_per_minute"] == [2.0, 2.0, 2.0]


def test_the_sampler_keeps_reading_after_the_first_page_and_stops_when_closed() -> None:
    read_enough = threading.Event()
    reads = count(1)

    def read() -> FlowView:
        if next(reads) >= 4:
            read_enough.set()
        return view(1)

    history = FlowHistory(read, 0.01)
    assert history.samples() == []  # nothing is sampled before the flow is first read
    history.read()
    assert read_enough.wait(10)
    history.close()
    kept = len(history.samples())
    assert kept >= 4
    assert len(history.samples()) == kept


def test_a_failed_sample_does_not_end_the_history_and_old_samples_go() -> None:
    calls = count()

    def read() -> FlowView:
        if next(calls) == 1:
            raise RuntimeError("a scrape failed")
        return view(1)

    history = FlowHistory(read, 0.01, capacity=5)
    history.read()
    threading.Event().wait(0.3)
    history.close()
    assert len(history.samples()) == 5
