"""When a file closes: per-partition buffers rotated by count, size, age and event date.

A partition has at most ONE open buffer. A record whose event date differs from the open
buffer's closes that buffer first (reason "date") and opens a new one. So each file holds
one event date and a contiguous offset range of one partition, and the files of a partition,
in offset order, cover every offset it consumed, each offset in exactly one file. A more
eager alternative (one open buffer per (partition, date)) would let ranges interleave, so a
partition's resume point ("after the highest offset in files") could skip records of a
date whose buffer had not been written yet.

Records are opaque here (the consumer buffers rows, see `base.Row`). The consumer calls
`append` per decoded record, `due` from a timer (age closes buffers
even when no record arrives), `drain` on revocation, `discard` when partitions are lost,
and `drain_all` at shutdown, and writes every returned batch; per partition it commits the
first offset not yet in a file (`open_first_offsets`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from consumer.sink.base import FileMeta, OffsetOrderError
from contract.framing import SchemaRef


class RotationReason(StrEnum):
    COUNT = "count"
    BYTES = "bytes"
    AGE = "age"
    DATE = "date"
    REVOCATION = "revocation"
    SHUTDOWN = "shutdown"


@dataclass(frozen=True)
class RotationPolicy:
    """Limits of one open buffer; whichever is reached first closes it.

    Args:
        max_records: records per file.
        max_bytes: estimated bytes of a buffer's records (records times the `Rotator`'s
            per-record estimate).
        max_age_seconds: seconds from a buffer's first record until `due` closes it.
    """

    max_records: int = 100_000
    max_bytes: int = 64 * 1024 * 1024
    max_age_seconds: float = 60.0

    def __post_init__(self) -> None:
        if self.max_records < 1 or self.max_bytes < 1 or self.max_age_seconds <= 0:
            raise ValueError("rotation limits must be positive")


@dataclass(frozen=True)
class ClosedBatch:
    """A closed buffer: the records of one file and the coordinates of that file."""

    partition: int
    event_date: date
    first_offset: int
    last_offset: int
    records: list[Any]
    writer_schemas: frozenset[SchemaRef]
    reason: RotationReason

    def file_meta(self, *, topic: str, reader_schema_fingerprint: str) -> FileMeta:
        return FileMeta(
            topic=topic,
            partition=self.partition,
            first_offset=self.first_offset,
            last_offset=self.last_offset,
            event_date=self.event_date,
            writer_schemas=self.writer_schemas,
            reader_schema_fingerprint=reader_schema_fingerprint,
            record_count=len(self.records),
        )


class PartitionBuffer:
    """The open buffer of one partition: records of one event date, offsets ascending."""

    __slots__ = (
        "estimated_bytes",
        "event_date",
        "first_offset",
        "last_offset",
        "last_schema",
        "opened_at",
        "partition",
        "records",
        "writer_schemas",
    )

    def __init__(
        self,
        partition: int,
        event_date: date,
        offset: int,
        schema: SchemaRef,
        opened_at: float,
    ) -> None:
        self.partition = partition
        self.event_date = event_date
        self.first_offset = offset
        self.last_offset = offset
        self.records: list[Any] = []
        self.writer_schemas = {schema}
        self.last_schema = schema
        self.estimated_bytes = 0
        self.opened_at = opened_at

    def close(self, reason: RotationReason) -> ClosedBatch:
        return ClosedBatch(
            partition=self.partition,
            event_date=self.event_date,
            first_offset=self.first_offset,
            last_offset=self.last_offset,
            records=self.records,
            writer_schemas=frozenset(self.writer_schemas),
            reason=reason,
        )


_NONE: tuple[ClosedBatch, ...] = ()


class Rotator:
    """The open buffers of the partitions a consumer owns, closed by `RotationPolicy`.

    Args:
        policy: the limits.
        record_size_estimate: bytes counted per record (`estimate_record_size(reader_schema)`
            gives one).
        clock: monotonic seconds; tests inject their own.
    """

    def __init__(
        self,
        policy: RotationPolicy,
        *,
        record_size_estimate: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self._record_size = record_size_estimate
        self._clock = clock
        self._open: dict[int, PartitionBuffer] = {}
        # Last offset of the newest closed buffer per partition, to refuse a rewind.
        self._closed_up_to: dict[int, int] = {}

    def append(
        self,
        partition: int,
        offset: int,
        event_date: date,
        record: Any,
        *,
        writer_schema: SchemaRef,
    ) -> tuple[ClosedBatch, ...]:
        """Buffer one record; return the batches this closed (usually none), oldest first.

        Raises:
            OffsetOrderError: `offset` is not above every offset the partition already
                buffered or closed (seek to the resume point after an assignment first).
        """
        buffer = self._open.get(partition)
        # Hot path: same partition and date, next offset. Kept to a few attribute updates.
        if buffer is not None and buffer.event_date == event_date and offset > buffer.last_offset:
            closed = _NONE
        else:
            closed = self._open_for(partition, offset, event_date, writer_schema, buffer)
            buffer = self._open[partition]
        buffer.records.append(record)
        buffer.last_offset = offset
        buffer.estimated_bytes += self._record_size
        if writer_schema != buffer.last_schema:
            buffer.writer_schemas.add(writer_schema)
            buffer.last_schema = writer_schema
        if len(buffer.records) >= self.policy.max_records:
            return (*closed, self._close(partition, RotationReason.COUNT))
        if buffer.estimated_bytes >= self.policy.max_bytes:
            return (*closed, self._close(partition, RotationReason.BYTES))
        return closed

    def due(self, now: float | None = None) -> list[ClosedBatch]:
        """Close and return every buffer whose first record is `max_age_seconds` old."""
        now = self._clock() if now is None else now
        limit = self.policy.max_age_seconds
        aged = [p for p, b in self._open.items() if now - b.opened_at >= limit]
        return [self._close(p, RotationReason.AGE) for p in aged]

    def next_due(self) -> float | None:
        """Clock time at which `due` will next close a buffer (None: no open buffer)."""
        if not self._open:
            return None
        return min(b.opened_at for b in self._open.values()) + self.policy.max_age_seconds

    def drain(
        self, partitions: Iterable[int], reason: RotationReason = RotationReason.REVOCATION
    ) -> list[ClosedBatch]:
        """Close the given partitions' buffers and forget them (they change owner)."""
        closed = []
        for partition in partitions:
            if partition in self._open:
                closed.append(self._close(partition, reason))
            self._closed_up_to.pop(partition, None)
        return closed

    def drain_all(self, reason: RotationReason = RotationReason.SHUTDOWN) -> list[ClosedBatch]:
        """Close every buffer and forget every partition (shutdown, or a full revocation)."""
        return self.drain(list({*self._open, *self._closed_up_to}), reason)

    def discard(self, partitions: Iterable[int]) -> int:
        """Drop lost partitions' buffers unwritten; return how many records were dropped.

        A lost partition may already be another consumer's: writing its buffer could
        overlap that consumer's files. The records are read again by the new owner.
        """
        dropped = 0
        for partition in partitions:
            buffer = self._open.pop(partition, None)
            if buffer is not None:
                dropped += len(buffer.records)
            self._closed_up_to.pop(partition, None)
        return dropped

    def open_first_offsets(self) -> dict[int, int]:
        """First offset of each open buffer: below it, a partition's records are in files."""
        return {partition: buffer.first_offset for partition, buffer in self._open.items()}

    def _open_for(
        self,
        partition: int,
        offset: int,
        event_date: date,
        schema: SchemaRef,
        buffer: PartitionBuffer | None,
    ) -> tuple[ClosedBatch, ...]:
        floor = buffer.last_offset if buffer is not None else self._closed_up_to.get(partition)
        if floor is not None and offset <= floor:
            raise OffsetOrderError(
                f"partition {partition}: offset {offset} is not above {floor}, already buffered"
            )
        closed = _NONE if buffer is None else (self._close(partition, RotationReason.DATE),)
        self._open[partition] = PartitionBuffer(
            partition, event_date, offset, schema, self._clock()
        )
        return closed

    def _close(self, partition: int, reason: RotationReason) -> ClosedBatch:
        buffer = self._open.pop(partition)
        self._closed_up_to[partition] = buffer.last_offset
        return buffer.close(reason)


# Rough Avro-encoded sizes: varints of typical magnitude, short strings.
_SIZES = {"null": 0, "boolean": 1, "int": 3, "long": 6, "float": 4, "double": 8}
_STRING_SIZE = 16
_UUID_SIZE = 37


def estimate_record_size(reader_schema: Mapping[str, Any]) -> int:
    """A per-record byte estimate for the reader schema, when encoded sizes are unknown."""
    return max(1, _size(dict(reader_schema)))


def _size(avro_type: Any) -> int:
    if isinstance(avro_type, list):
        return 1 + max((_size(branch) for branch in avro_type), default=0)
    if isinstance(avro_type, str):
        return _SIZES.get(avro_type, _STRING_SIZE)
    if isinstance(avro_type, dict):
        kind = avro_type.get("type")
        if avro_type.get("logicalType") == "uuid":
            return _UUID_SIZE
        if kind == "record":
            return sum(_size(f["type"]) for f in avro_type.get("fields", []))
        if kind == "fixed":
            return int(avro_type.get("size", _STRING_SIZE))
        if kind == "enum":
            return 1
        return _size(kind)
    return _STRING_SIZE
