"""Repeats of an event id within a partition's window are dropped; the window survives restarts
because it is refilled from the partition's newest files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import KafkaError, KafkaException
from hypothesis import given
from hypothesis import strategies as st

from consumer.dedup import RecentIds, newest
from consumer.runner import LakeWriter
from consumer.settings import ConsumerSettings, SettingsError
from consumer.sink.avro import AvroFormat
from consumer.sink.base import Format
from consumer.sink.files import FileSink, write_file_atomically
from consumer.sink.parquet import ParquetFormat
from tests.unit.consumer.samples import (
    FINGERPRINT,
    READER_SCHEMA,
    REPO_ROOT,
    TOPIC,
    file_meta,
    user_event,
)


def test_an_id_seen_in_the_window_is_a_repeat_and_one_pushed_out_is_not() -> None:
    recent = RecentIds(3)
    assert [recent.add(i) for i in ("a", "b", "a", "c")] == [True, True, False, True]
    assert recent.add("d")  # pushes "a" out
    assert recent.add("a")
    assert not recent.add("d")
    # The window is now c, d, a: "b" was pushed out.
    assert [recent.add(i) for i in ("c", "d", "a", "b")] == [False, False, False, True]


@given(ids=st.lists(st.integers(0, 30), max_size=200), window=st.integers(1, 20))
def test_the_window_is_exactly_the_last_distinct_ids(ids: list[int], window: int) -> None:
    recent = RecentIds(window)
    kept: list[int] = []
    for event_id in ids:
        fresh = event_id not in kept
        assert recent.add(event_id) is fresh
        if fresh:
            kept = [*kept, event_id][-window:]
    # A repeat leaves the window as it is, so asking again checks it holds every kept id.
    assert not any(recent.add(event_id) for event_id in kept)


def test_newest_takes_the_last_values_in_order_reading_no_more_files_than_needed() -> None:
    read: list[int] = []

    def files() -> Iterator[list[int]]:
        for number, values in enumerate([[7, 8, 9], [4, 5, 6], [1, 2, 3]]):
            read.append(number)
            yield values

    assert newest(files(), 4) == [6, 7, 8, 9]
    assert read == [0, 1]
    assert newest(iter([[1, 2]]), 5) == [1, 2]
    assert newest(iter([[1, 2]]), 0) == []


@pytest.mark.parametrize("file_format", [ParquetFormat(READER_SCHEMA), AvroFormat(READER_SCHEMA)])
def test_the_sink_refills_a_window_from_the_partitions_newest_files(
    tmp_path: Path, file_format: Format
) -> None:
    for first, last in ((0, 9), (10, 19), (20, 24)):
        records = [user_event(offset) for offset in range(first, last + 1)]
        write_file_atomically(tmp_path, file_meta(first, last), file_format, records)
    other = [user_event(100)]
    write_file_atomically(tmp_path, file_meta(0, 0, partition=1), file_format, other)
    sink = FileSink(
        tmp_path, topic=TOPIC, file_format=file_format, reader_schema_fingerprint=FINGERPRINT
    )

    ids = [str(user_event(offset)["event_id"]) for offset in range(17, 25)]

    assert sink.take_over(0, field="event_id", window=8) == (25, ids)
    assert sink.take_over(1, field="event_id", window=8) == (1, [str(other[0]["event_id"])])
    assert sink.take_over(2, field="event_id", window=8) == (None, [])
    assert sink.take_over(0, field="event_id", window=0) == (25, [])
    assert sink.take_over(0) == (25, [])


def _writer_settings(tmp_path: Path, dedup_field: str) -> ConsumerSettings:
    return ConsumerSettings.model_validate(
        {
            # Nothing connects while a writer is built: no broker or registry is needed.
            "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9",
            "REGISTRY_URL": "http://127.0.0.1:9",
            "reader_schema": REPO_ROOT / "schemas" / "user-events-value" / "2.avsc",
            "output": str(tmp_path / "lake"),
            "dedup_field": dedup_field,
            "metrics_port": 0,
        }
    )


def test_a_dedup_field_the_reader_schema_lacks_stops_the_writer_at_start(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"CONSUMER_DEDUP_FIELD='event_idd' is not a field"):
        LakeWriter(_writer_settings(tmp_path, "event_idd"))


@pytest.mark.parametrize(("dedup_field", "expected"), [("", None), ("event_id", "event_id")])
def test_an_empty_dedup_field_turns_dedup_off(
    tmp_path: Path, dedup_field: str, expected: str | None
) -> None:
    writer = LakeWriter(_writer_settings(tmp_path, dedup_field))
    try:
        assert writer._dedup_field == expected
    finally:
        writer.consumer.close()


class _CoordinatorAway:
    """A consumer whose group coordinator does not answer (its broker is down)."""

    def commit(self, **_: object) -> None:
        raise KafkaException(KafkaError(KafkaError._WAIT_COORD))


def test_a_commit_the_coordinator_cannot_take_waits_for_the_next_round(tmp_path: Path) -> None:
    writer = LakeWriter(_writer_settings(tmp_path, "event_id"))
    writer.consumer.close()
    writer.consumer = _CoordinatorAway()  # type: ignore[assignment]
    writer._consumed[0] = 41
    writer._commit()  # deferred, not raised: the lake holds what the offset covers
    assert writer._committed == {}
