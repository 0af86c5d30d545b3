"""The lake as an Apache Iceberg table: each closed batch one snapshot, exactly once.

A batch (one Kafka partition's contiguous offsets, one event date) is appended as one
snapshot. Its summary records, under `kafka.offsets.<topic>`, the next offset of every
partition the table holds, carried forward from the snapshot it follows, so the newest
snapshot alone says where each partition resumes (or, when another engine committed last,
the newest one that records offsets). The table, not the consumer group's
committed offsets, is the truth: on assignment a partition resumes there.

Several writers may commit to the table at once (optimistic concurrency): when another
commit came first, pyiceberg refreshes the table and builds the snapshot again, and the
offsets are merged again from the refreshed newest snapshot. If that snapshot already holds
the batch's offsets (another writer took the partition and wrote them), the batch is not
committed (`AlreadyCommittedError`). A crash between writing data files and committing
leaves files no snapshot references, which maintenance removes.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import IO, Any, TypeVar, cast

import pyarrow as pa
import pyarrow.parquet as pq
import structlog
from prometheus_client import Counter, Gauge
from pyiceberg.catalog import Catalog
from pyiceberg.exceptions import CommitFailedException, NoSuchTableError
from pyiceberg.io.pyarrow import write_file
from pyiceberg.partitioning import PartitionField, PartitionFieldValue, PartitionKey, PartitionSpec
from pyiceberg.table import Table, Transaction, WriteTask
from pyiceberg.table.metadata import TableMetadata
from pyiceberg.table.snapshots import Snapshot
from pyiceberg.transforms import DayTransform
from sqlalchemy import exc as sa_exc

from consumer.dedup import newest
from consumer.sink.base import AlreadyCommittedError, Rows, SchemaMappingError
from consumer.sink.iceberg_rows import RowsToArrow
from consumer.sink.iceberg_schema import evolve, iceberg_schema
from consumer.sink.rotation import ClosedBatch
from contract import metrics as metric_names

log = structlog.get_logger("consumer.sink")

SNAPSHOTS = Gauge(metric_names.LAKE_SNAPSHOTS, "Snapshots the Iceberg table keeps.")
DATA_FILES = Gauge(metric_names.LAKE_DATA_FILES, "Data files of the table's current snapshot.")
COMMIT_CONFLICTS = Counter(
    "consumer_lake_commit_conflicts_total",
    "Iceberg commits that found another writer's commit first, rebuilt on the refreshed table.",
)

# The event-time field the table is partitioned by (day), hidden from queries.
EVENT_TIME = "event_time"
OFFSETS_PREFIX = "kafka.offsets."
# This snapshot's own batch: which partition, which offsets.
BATCH_PARTITION = "kafka.batch.partition"
BATCH_OFFSETS = "kafka.batch.offsets"
_EPOCH = date(1970, 1, 1)
# What a restarted catalog database or an unreachable warehouse raises. Retried for less than
# Kafka's max.poll.interval.ms (300 s by default), so the writer keeps its partitions.
UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, OSError)
UNAVAILABLE_SECONDS = 120.0
# Rounds of pyiceberg's own commit retries a batch gets before the writer gives up on it.
CONTENDED_ROUNDS = 8
T = TypeVar("T")


@dataclass(frozen=True)
class TableName:
    namespace: str
    name: str

    @property
    def identifier(self) -> tuple[str, str]:
        return (self.namespace, self.name)


def open_table(catalog: Catalog, name: TableName, reader_schema: Mapping[str, Any]) -> Table:
    """The table, created from the reader schema (partitioned by day of event time) or
    evolved to it.

    Raises:
        SchemaMappingError: the reader schema has a type Iceberg lacks, or a change the
            table cannot take; the message names the field.
    """
    catalog.create_namespace_if_not_exists(name.namespace)
    try:
        table = catalog.load_table(name.identifier)
    except NoSuchTableError:
        schema = iceberg_schema(reader_schema)
        try:
            source = schema.find_field(EVENT_TIME)
        except ValueError:
            raise SchemaMappingError(f"the reader schema has no {EVENT_TIME} field") from None
        spec = PartitionSpec(
            PartitionField(
                source_id=source.field_id,
                field_id=1000,
                transform=DayTransform(),
                name=f"{EVENT_TIME}_day",
            )
        )
        table = catalog.create_table_if_not_exists(
            name.identifier, schema=schema, partition_spec=spec
        )
        log.info("lake_table_created", table=".".join(name.identifier))
        return table
    if evolve(table, reader_schema):
        log.info("lake_table_evolved", table=".".join(name.identifier))
    return table


class IcebergSink:
    """One topic's batches appended to one Iceberg table.

    Args:
        table: the open table (`open_table`).
        topic: the Kafka topic whose offsets the snapshots record.
        reader_schema: the Avro reader schema the batches' rows follow.
    """

    def __init__(self, table: Table, *, topic: str, reader_schema: Mapping[str, Any]) -> None:
        self.table = table
        self.topic = topic
        self.fields = tuple(avro_field["name"] for avro_field in reader_schema["fields"])
        # The schema the batches' Arrow tables follow: another writer may evolve the table
        # meanwhile, and its files are written in the table's schema of their commit.
        self._schema = table.schema()
        self._to_arrow = RowsToArrow(reader_schema, self._schema.as_arrow())

    def write(self, batch: ClosedBatch) -> None:
        """Append the batch as one snapshot recording its partition's next offset.

        Raises:
            AlreadyCommittedError: the table already holds this batch's offsets.
            SinkError: a value does not fit the table (field named, value not).
        """
        rows = Rows.of(self.fields, batch.records).rows
        data = self._to_arrow.table(rows)
        for contended in range(CONTENDED_ROUNDS + 1):
            try:
                until_available(partial(self._commit, batch, data, again=contended > 0))
                break
            except CommitFailedException:
                # pyiceberg rebuilt the snapshot on each newer table it met, four times,
                # and lost the race each time: writers committing small batches of many
                # partitions at once. The batch is whole; a wait and another round win.
                if contended == CONTENDED_ROUNDS:
                    raise
                # Jitter, not secrecy: writers that collided should not retry in step.
                delay = random.uniform(0.1, 0.5) * (contended + 1)  # noqa: S311
                log.warning("lake_commit_contended", retry_in_s=round(delay, 2))
                time.sleep(delay)
        SNAPSHOTS.set(len(self.table.metadata.snapshots))
        snapshot = self.table.current_snapshot()
        if snapshot is not None and snapshot.summary is not None:
            DATA_FILES.set(int(snapshot.summary.get("total-data-files") or 0))
        log.info(
            "lake_batch_committed",
            topic=self.topic,
            partition=batch.partition,
            first_offset=batch.first_offset,
            last_offset=batch.last_offset,
            records=len(rows),
            reason=str(batch.reason),
        )

    def _commit(self, batch: ClosedBatch, data: pa.Table, retried: bool, *, again: bool) -> None:
        """One attempt at the batch's snapshot; after a failed one (``retried``, or
        ``again`` after lost races), on the table as it now is (that attempt may have
        committed before the connection broke: then the batch's offsets are there, and
        `check` says so)."""
        if retried or again:
            self.table.refresh()
        properties = SnapshotOffsets(self.table, self.topic, batch)
        properties.check()
        try:
            with self.table.transaction() as transaction:
                self._append(transaction, data, batch.event_date, properties)
        finally:
            COMMIT_CONFLICTS.inc(properties.rebuilds())

    def _append(
        self,
        transaction: Transaction,
        data: pa.Table,
        event_date: date,
        properties: SnapshotOffsets,
    ) -> None:
        """The batch as one data file of its event date's partition, in one snapshot.

        A batch holds one event date (see `rotation`), so when the table is partitioned
        as `open_table` creates it, the file's partition is known: pyiceberg's `append`
        would find it per row (a transform, a group-by and a filtered copy of the batch).
        Under any other spec (another engine changed it) `append` splits the rows.
        """
        metadata = transaction.table_metadata
        key = _day_partition(metadata, event_date)
        if key is None:
            transaction.append(data, snapshot_properties=properties)  # type: ignore[arg-type]
            return
        update = transaction.update_snapshot(snapshot_properties=properties)  # type: ignore[arg-type]
        with update.fast_append() as append:
            task = WriteTask(
                write_uuid=append.commit_uuid,
                task_id=0,
                schema=self._schema,
                record_batches=data.to_batches(),
                partition_key=key,
            )
            for data_file in write_file(self.table.io, metadata, iter([task])):
                append.append_data_file(data_file)

    def close(self) -> None:
        """Release the catalog's database connections."""
        self.table.catalog.close()

    def take_over(
        self, partition: int, *, field: str | None = None, window: int = 0
    ) -> tuple[int | None, list[Any]]:
        """For a partition this writer now owns: the offset to resume at (after the table's
        last batch of it; None when it holds none) and the ``field`` of its last ``window``
        records, oldest first (read from the data files of its newest batches)."""
        return until_available(lambda _retried: self._take_over(partition, field, window))

    def _take_over(
        self, partition: int, field: str | None, window: int
    ) -> tuple[int | None, list[Any]]:
        self.table.refresh()
        resume = next_offsets(self.table, self.topic).get(partition)
        if field is None or window <= 0 or resume is None:
            return resume, []
        return resume, newest(self._values_by_batch(partition, field), window)

    def _values_by_batch(self, partition: int, field: str) -> Iterator[list[Any]]:
        """``field`` in each of the partition's batches, newest batch first."""
        io = self.table.io
        for snapshot in _ancestors(self.table):
            summary = snapshot.summary
            if summary is None or summary.get(BATCH_PARTITION) != str(partition):
                continue
            values: list[Any] = []
            for manifest in snapshot.manifests(io):
                if manifest.added_snapshot_id != snapshot.snapshot_id:
                    continue
                for entry in manifest.fetch_manifest_entry(io, discard_deleted=True):
                    if entry.snapshot_id != snapshot.snapshot_id:
                        continue
                    with io.new_input(entry.data_file.file_path).open() as source:
                        column = pq.read_table(cast(IO[bytes], source), columns=[field]).column(
                            field
                        )
                    values.extend(_plain(value) for value in column.to_pylist())
            yield values


def until_available(attempt: Callable[[bool], T]) -> T:
    """``attempt(retried)`` until the catalog's database and the warehouse answer, for at
    most `UNAVAILABLE_SECONDS`: a restart of either costs a wait, not the writer."""
    deadline = time.monotonic() + UNAVAILABLE_SECONDS
    delay = 0.1
    retried = False
    while True:
        try:
            return attempt(retried)
        except UNAVAILABLE as error:
            if time.monotonic() + delay > deadline:
                raise
            # The type only: a driver's message may quote the connection string.
            log.warning("lake_unavailable", error=type(error).__name__, retry_in_s=delay)
        time.sleep(delay)
        delay = min(delay * 2, 2.0)
        retried = True


def _day_partition(metadata: TableMetadata, event_date: date) -> PartitionKey | None:
    """The partition of ``event_date`` when the table's only partition field is the day of
    its event time; None under any other spec."""
    spec = metadata.spec()
    schema = metadata.schema()
    if len(spec.fields) != 1 or not isinstance(spec.fields[0].transform, DayTransform):
        return None
    try:
        source = schema.find_field(EVENT_TIME)
    except ValueError:
        return None
    if spec.fields[0].source_id != source.field_id:
        return None
    # A day partition holds the days since the epoch.
    day = PartitionFieldValue(field=spec.fields[0], value=(event_date - _EPOCH).days)
    return PartitionKey(field_values=[day], partition_spec=spec, schema=schema)


def _ancestors(table: Table) -> Iterator[Snapshot]:
    """The current snapshot and its ancestors, newest first (while metadata keeps them)."""
    snapshot = table.current_snapshot()
    while snapshot is not None:
        yield snapshot
        parent = snapshot.parent_snapshot_id
        snapshot = table.snapshot_by_id(parent) if parent is not None else None


def _plain(value: Any) -> Any:
    """A value as the decoder yields it: a uuid as its text."""
    return str(value) if isinstance(value, uuid.UUID) else value


def next_offsets(table: Table, topic: str) -> dict[int, int]:
    """Each partition's next offset, as the newest snapshot that records them says. (Another
    engine's commit, Spark's say, records none: the snapshot before it still speaks.)"""
    for snapshot in _ancestors(table):
        recorded = snapshot.summary.get(OFFSETS_PREFIX + topic) if snapshot.summary else None
        if recorded is not None:
            offsets = json.loads(recorded)
            return {int(partition): int(offset) for partition, offset in offsets.items()}
    return {}


class SnapshotOffsets(Mapping[str, str]):
    """A snapshot's properties, computed when pyiceberg builds the snapshot: again after a
    refresh when another commit came first, so the carried offsets include it.

    pyiceberg reads snapshot properties each time it builds a snapshot summary (the first
    attempt and every retry after a concurrent commit); computing them here is what keeps
    the carried-forward offsets whole under concurrent writers. A batch's snapshot adds its
    partition's next offset; any other (a compaction's) carries the offsets unchanged.
    """

    def __init__(self, table: Table, topic: str, batch: ClosedBatch | None = None) -> None:
        self._table = table
        self._key = OFFSETS_PREFIX + topic
        self._topic = topic
        self._batch = batch
        # The properties by the snapshot they were built on (pyiceberg reads them several
        # times a build): more than one when a concurrent commit came first.
        self._built: dict[int | None, dict[str, str]] = {}

    def check(self) -> None:
        """Raises AlreadyCommittedError when the table holds any of the batch's offsets."""
        self._values()

    def rebuilds(self) -> int:
        """How many times the snapshot was built again on a table another commit moved."""
        return max(0, len(self._built) - 1)

    def _values(self) -> dict[str, str]:
        snapshot = self._table.current_snapshot()
        parent = snapshot.snapshot_id if snapshot is not None else None
        built = self._built.get(parent)
        if built is None:
            built = self._built[parent] = self._build()
        return built

    def _build(self) -> dict[str, str]:
        offsets = next_offsets(self._table, self._topic)
        values: dict[str, str] = {}
        batch = self._batch
        if batch is not None:
            held = offsets.get(batch.partition)
            if held is not None and held > batch.first_offset:
                raise AlreadyCommittedError(
                    f"partition {batch.partition} is committed up to offset {held}, past "
                    f"this batch's first offset {batch.first_offset}"
                )
            offsets[batch.partition] = batch.last_offset + 1
            values[BATCH_PARTITION] = str(batch.partition)
            values[BATCH_OFFSETS] = f"{batch.first_offset}-{batch.last_offset}"
        if offsets:
            values[self._key] = json.dumps({str(p): o for p, o in sorted(offsets.items())})
        return values

    def __getitem__(self, key: str) -> str:
        return self._values()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values())

    def __len__(self) -> int:
        return len(self._values())
