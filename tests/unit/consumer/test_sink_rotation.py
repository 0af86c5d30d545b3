"""Rotation: when a partition's buffer becomes a file, and that every offset lands in one file."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consumer.sink.base import OffsetOrderError
from consumer.sink.rotation import (
    ClosedBatch,
    RotationPolicy,
    RotationReason,
    Rotator,
    estimate_record_size,
)
from tests.unit.consumer.samples import READER_SCHEMA

DAY = date(2024, 5, 1)
NEXT_DAY = DAY + timedelta(days=1)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def rotator(clock: Clock | None = None, **limits: Any) -> Rotator:
    return Rotator(RotationPolicy(**limits), record_size_estimate=10, clock=clock or Clock())


def record(offset: int, day: date = DAY) -> dict[str, Any]:
    return {"offset": offset, "day": day}


def feed(rot: Rotator, partition: int, offsets: range, day: date = DAY) -> list[ClosedBatch]:
    closed: list[ClosedBatch] = []
    for offset in offsets:
        closed += rot.append(partition, offset, day, record(offset, day), writer_schema=2)
    return closed


def spans(batches: list[ClosedBatch]) -> list[tuple[int, int, int, str]]:
    return [(b.partition, b.first_offset, b.last_offset, b.reason) for b in batches]


def test_a_buffer_closes_at_the_record_count() -> None:
    rot = rotator(max_records=3)
    closed = feed(rot, 0, range(7))
    assert spans(closed) == [(0, 0, 2, "count"), (0, 3, 5, "count")]
    assert [r["offset"] for r in closed[1].records] == [3, 4, 5]
    assert spans(rot.drain_all()) == [(0, 6, 6, "shutdown")]


def test_a_buffer_closes_at_the_byte_estimate() -> None:
    # Each record counts record_size_estimate (10) bytes: the third reaches 30, not the second.
    rot = rotator(max_bytes=30)
    assert spans(feed(rot, 0, range(4))) == [(0, 0, 2, "bytes")]
    assert spans(rot.drain_all()) == [(0, 3, 3, "shutdown")]


def test_a_buffer_closes_by_age_from_its_first_record_on_the_timer() -> None:
    clock = Clock()
    rot = rotator(clock, max_age_seconds=60)
    feed(rot, 0, range(2))
    clock.now = 30.0
    feed(rot, 1, range(5, 6))
    assert rot.next_due() == 60.0
    assert rot.due(59.9) == []
    assert spans(rot.due(60.0)) == [(0, 0, 1, "age")]
    assert rot.next_due() == 90.0
    clock.now = 95.0
    assert spans(rot.due()) == [(1, 5, 5, "age")]
    assert rot.next_due() is None


def test_a_new_event_date_closes_the_partitions_buffer_first() -> None:
    rot = rotator()
    closed = (
        feed(rot, 0, range(3)) + feed(rot, 0, range(3, 5), NEXT_DAY) + feed(rot, 0, range(5, 6))
    )
    assert spans(closed) == [(0, 0, 2, "date"), (0, 3, 4, "date")]
    assert [b.event_date for b in closed] == [DAY, NEXT_DAY]
    (last,) = rot.drain_all()
    assert (last.first_offset, last.event_date) == (5, DAY)


def test_a_date_change_and_a_full_buffer_close_two_files_at_once() -> None:
    rot = rotator(max_records=1)
    assert spans(feed(rot, 0, range(1))) == [(0, 0, 0, "count")]
    rot = rotator(max_records=2)
    feed(rot, 0, range(1))
    closed = rot.append(0, 1, NEXT_DAY, record(1), writer_schema=1)
    assert spans(list(closed)) == [(0, 0, 0, "date")]


def test_partitions_rotate_independently_and_revocation_drains_only_its_own() -> None:
    rot = rotator(max_records=3)
    feed(rot, 0, range(2))
    feed(rot, 1, range(10, 12))
    feed(rot, 2, range(20, 21))
    assert spans(rot.drain([1, 2, 7])) == [(1, 10, 11, "revocation"), (2, 20, 20, "revocation")]
    assert rot.open_first_offsets() == {0: 0}
    assert spans(rot.drain_all()) == [(0, 0, 1, "shutdown")]


def test_the_writer_schemas_of_a_file_are_all_its_records_named() -> None:
    rot = rotator()
    guid = uuid.UUID(int=9)
    named: list[int | uuid.UUID] = [1, 1, 2, guid, 1, 3, guid]
    for offset, schema in enumerate(named):
        rot.append(0, offset, DAY, record(offset), writer_schema=schema)
    (batch,) = rot.drain_all()
    assert batch.writer_schemas == {1, 2, 3, guid}
    meta = batch.file_meta(topic="t", reader_schema_fingerprint="f")
    assert (meta.first_offset, meta.last_offset, meta.record_count) == (0, 6, 7)
    assert meta.file_metadata()["writer_schema_ids"] == "1,2,3"
    assert meta.file_metadata()["writer_schema_guids"] == str(guid)


def test_an_offset_at_or_below_one_already_taken_is_refused() -> None:
    rot = rotator(max_records=2)
    feed(rot, 0, range(3))  # 0-1 closed, 2 open
    with pytest.raises(OffsetOrderError, match="partition 0: offset 2"):
        feed(rot, 0, range(2, 3))
    with pytest.raises(OffsetOrderError, match="offset 1 is not above 2"):
        feed(rot, 0, range(1, 2), NEXT_DAY)
    rot.drain([0])
    # Revoked and assigned again: the consumer seeks to its files' resume point.
    assert spans(feed(rot, 0, range(2, 4))) == [(0, 2, 3, "count")]


def test_a_lost_partition_is_dropped_unwritten_and_forgotten() -> None:
    rot = rotator()
    feed(rot, 0, range(5))
    feed(rot, 1, range(5))
    assert rot.discard([0]) == 5
    assert spans(rot.drain_all()) == [(1, 0, 4, "shutdown")]
    assert feed(rot, 0, range(3)) == []  # the new owner's files decide; no rewind error


def test_limits_must_be_positive() -> None:
    for limits in ({"max_records": 0}, {"max_bytes": 0}, {"max_age_seconds": 0.0}):
        with pytest.raises(ValueError, match="positive"):
            RotationPolicy(**limits)


def test_the_record_size_estimate_counts_every_field() -> None:
    # uuid 37, two timestamps 6 each, long 6, two strings 16 each, boolean 1.
    assert estimate_record_size(READER_SCHEMA) == 37 + 6 + 6 + 16 + 6 + 1 + 16


step = st.tuples(
    st.integers(0, 2),  # partition
    st.integers(1, 3),  # offset gap (compaction, transaction markers, dead letters)
    st.integers(0, 2),  # event date, days after DAY (late events go back)
    st.floats(0, 5),  # seconds since the previous record
    st.booleans(),  # the timer fires
)


@settings(max_examples=300, deadline=None)
@given(
    max_records=st.integers(1, 12),
    max_bytes=st.integers(1, 400),
    max_age=st.floats(0.5, 20),
    record_size=st.integers(1, 60),
    steps=st.lists(step, max_size=150),
    revoke_at=st.integers(0, 150),
)
def test_every_offset_lands_in_exactly_one_file_in_contiguous_ranges(
    max_records: int,
    max_bytes: int,
    max_age: float,
    record_size: int,
    steps: list[tuple[int, int, int, float, bool]],
    revoke_at: int,
) -> None:
    clock = Clock()
    policy = RotationPolicy(max_records=max_records, max_bytes=max_bytes, max_age_seconds=max_age)
    rot = Rotator(policy, record_size_estimate=record_size, clock=clock)
    next_offset = dict.fromkeys(range(3), 0)
    appended: list[tuple[int, int]] = []
    closed: list[ClosedBatch] = []
    for index, (partition, gap, days, elapsed, timer) in enumerate(steps):
        clock.now += elapsed
        if timer:
            closed += rot.due()
        if index == revoke_at:
            # A revocation of partition 0 and its reassignment: it resumes after its files.
            closed += rot.drain([0])
        offset = next_offset[partition]
        next_offset[partition] = offset + gap
        day = DAY + timedelta(days=days)
        closed += rot.append(partition, offset, day, record(offset, day), writer_schema=1)
        appended.append((partition, offset))
    closed += rot.drain_all()

    landed = Counter((b.partition, r["offset"]) for b in closed for r in b.records)
    assert landed == Counter(appended)  # each appended offset in exactly one file
    for batch in closed:
        offsets = [r["offset"] for r in batch.records]
        assert offsets == sorted(set(offsets))
        assert (offsets[0], offsets[-1]) == (batch.first_offset, batch.last_offset)
        assert {r["day"] for r in batch.records} == {batch.event_date}
        assert len(offsets) <= max_records
        # Closed no later than needed: every record before the last left room.
        assert (len(offsets) - 1) * record_size < max_bytes
        if batch.reason == RotationReason.COUNT:
            assert len(offsets) == max_records
    for partition in range(3):
        mine = [b for b in closed if b.partition == partition]
        taken = [o for p, o in appended if p == partition]
        # In closing (= writing) order, ranges follow each other and cover every offset.
        for earlier, later in pairwise(mine):
            assert later.first_offset == taken[taken.index(earlier.last_offset) + 1]
        assert [r["offset"] for b in mine for r in b.records] == taken
