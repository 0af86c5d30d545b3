"""The Iceberg sink on a real pyiceberg SQL catalog (a SQLite file) and a local warehouse."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.exceptions import CommitFailedException
from pyiceberg.table import Transaction
from pyiceberg.transforms import BucketTransform
from sqlalchemy import exc as sa_exc

from consumer.query import AsOfError, table_events_view
from consumer.sink import AlreadyCommittedError, ClosedBatch, RotationReason
from consumer.sink.iceberg import (
    COMMIT_CONFLICTS,
    IcebergSink,
    TableName,
    next_offsets,
    open_table,
)
from tests.unit.consumer.samples import READER_SCHEMA, TOPIC

NAME = TableName("lake", "user_events")
DAY = date(2024, 5, 1)
MILLIS = int(datetime(2024, 5, 1, 12, tzinfo=UTC).timestamp() * 1000)


def catalog_at(folder: Path) -> SqlCatalog:
    return SqlCatalog("lake", uri=f"sqlite:///{folder / 'catalog.db'}", warehouse=folder.as_uri())


@pytest.fixture
def catalog(tmp_path: Path) -> SqlCatalog:
    return catalog_at(tmp_path)


def decoded(user_id: int) -> tuple[Any, ...]:
    """A row as the consumer's decoder yields it: uuid text, epoch milliseconds."""
    return (
        str(uuid.UUID(int=user_id + 1)),
        MILLIS + user_id,
        user_id,
        "BE",
        MILLIS - 86_400_000,
        user_id % 2 == 0,
        "api",
    )


def batch(partition: int, first: int, count: int) -> ClosedBatch:
    return ClosedBatch(
        partition=partition,
        event_date=DAY,
        first_offset=first,
        last_offset=first + count - 1,
        records=[decoded(first + n) for n in range(count)],
        writer_schemas=frozenset({1}),
        reason=RotationReason.COUNT,
    )


def sink_on(catalog: SqlCatalog) -> IcebergSink:
    return IcebergSink(
        open_table(catalog, NAME, READER_SCHEMA), topic=TOPIC, reader_schema=READER_SCHEMA
    )


def test_each_batch_is_a_snapshot_carrying_every_partitions_next_offset(
    catalog: SqlCatalog,
) -> None:
    sink = sink_on(catalog)
    assert sink.take_over(0) == (None, [])
    sink.write(batch(0, 0, 3))
    sink.write(batch(1, 10, 2))
    sink.write(batch(0, 3, 1))
    assert next_offsets(sink.table, TOPIC) == {0: 4, 1: 12}
    assert sink_on(catalog).take_over(1) == (12, [])
    rows = sink.table.scan().to_arrow().sort_by("user_id")
    assert rows.num_rows == 6
    assert rows.column("user_id").to_pylist() == [0, 1, 2, 3, 10, 11]
    assert rows.schema.field("event_time").type == pa.timestamp("us", tz="UTC")
    first_time = rows.column("event_time")[0].as_py()
    assert first_time == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert rows.column("event_id")[0].as_py() == uuid.UUID(int=1)


def test_the_table_is_partitioned_by_day_of_event_time(catalog: SqlCatalog) -> None:
    sink = sink_on(catalog)
    sink.write(batch(0, 0, 2))
    [field] = sink.table.spec().fields
    assert field.name == "event_time_day"
    files = list(sink.table.scan().plan_files())
    assert [task.file.partition[0] for task in files] == [(DAY - date(1970, 1, 1)).days]


def test_under_a_spec_another_engine_changed_the_rows_are_split_by_it(
    catalog: SqlCatalog,
) -> None:
    sink = sink_on(catalog)
    with sink.table.update_spec() as update:
        update.add_field("user_id", BucketTransform(2), "user_bucket")
    sink.table.refresh()
    sink.write(batch(0, 0, 6))
    files = list(sink.table.scan().plan_files())
    assert sorted(task.file.partition[1] for task in files) == [0, 1]
    assert {task.file.partition[0] for task in files} == {(DAY - date(1970, 1, 1)).days}
    assert sink.table.scan().to_arrow().num_rows == 6


def test_a_commit_the_catalog_database_drops_is_tried_again_until_it_answers(
    catalog: SqlCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = sink_on(catalog)
    append = IcebergSink._append
    failures = iter([True, True])

    def flaky(self: IcebergSink, *args: Any) -> None:
        if next(failures, False):
            raise sa_exc.OperationalError("COMMIT", {}, ConnectionError("server closed"))
        append(self, *args)

    monkeypatch.setattr(IcebergSink, "_append", flaky)
    sink.write(batch(0, 0, 3))
    assert sink.table.scan().to_arrow().num_rows == 3
    assert next_offsets(sink.table, TOPIC) == {0: 3}


def test_a_batch_that_lost_every_race_pyiceberg_retried_is_committed_in_a_later_round(
    catalog: SqlCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = sink_on(catalog)
    append = IcebergSink._append
    lost = iter([True, True])

    def contended(self: IcebergSink, *args: Any) -> None:
        if next(lost, False):
            raise CommitFailedException("Requirement failed: branch main has changed")
        append(self, *args)

    monkeypatch.setattr(IcebergSink, "_append", contended)
    monkeypatch.setattr(time, "sleep", lambda _seconds: None)
    sink.write(batch(0, 0, 3))
    assert sink.table.scan().to_arrow().num_rows == 3
    assert next_offsets(sink.table, TOPIC) == {0: 3}


def test_a_commit_that_went_through_before_the_connection_broke_is_not_made_twice(
    catalog: SqlCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = sink_on(catalog)
    commit = Transaction.commit_transaction
    calls: list[int] = []

    def answer_lost(self: Transaction) -> Any:
        committed = commit(self)
        calls.append(1)
        if len(calls) == 1:
            raise sa_exc.OperationalError("COMMIT", {}, ConnectionError("server closed"))
        return committed

    monkeypatch.setattr(Transaction, "commit_transaction", answer_lost)
    with pytest.raises(AlreadyCommittedError):
        sink.write(batch(0, 0, 3))
    assert len(calls) == 1
    assert catalog.load_table(NAME.identifier).scan().to_arrow().num_rows == 3


def test_a_batch_whose_offsets_the_table_holds_is_not_committed_again(
    catalog: SqlCatalog,
) -> None:
    sink = sink_on(catalog)
    sink.write(batch(0, 0, 3))
    with pytest.raises(AlreadyCommittedError, match="partition 0 is committed up to offset 3"):
        sink.write(batch(0, 2, 2))
    assert sink.table.scan().to_arrow().num_rows == 3


def test_two_writers_committing_at_once_keep_both_partitions_offsets(
    catalog: SqlCatalog,
) -> None:
    first, second = sink_on(catalog), sink_on(catalog)
    first.write(batch(0, 0, 2))
    conflicts = COMMIT_CONFLICTS._value.get()
    # The second's table is stale: its commit conflicts, is rebuilt and carries partition 0.
    second.write(batch(1, 0, 2))
    assert COMMIT_CONFLICTS._value.get() == conflicts + 1
    second.table.refresh()
    assert next_offsets(second.table, TOPIC) == {0: 2, 1: 2}
    assert second.table.scan().to_arrow().num_rows == 4


def test_a_stale_writer_of_the_same_partition_finds_out_when_its_commit_is_rebuilt(
    catalog: SqlCatalog,
) -> None:
    owner, stale = sink_on(catalog), sink_on(catalog)
    owner.write(batch(0, 0, 2))
    with pytest.raises(AlreadyCommittedError):
        stale.write(batch(0, 0, 2))
    owner.table.refresh()
    assert owner.table.scan().to_arrow().num_rows == 2
    assert next_offsets(owner.table, TOPIC) == {0: 2}


def test_taking_a_partition_over_brings_its_newest_ids_oldest_first(catalog: SqlCatalog) -> None:
    sink = sink_on(catalog)
    sink.write(batch(0, 0, 3))
    sink.write(batch(1, 100, 2))
    sink.write(batch(0, 3, 2))
    resume, recent = sink_on(catalog).take_over(0, field="event_id", window=4)
    assert resume == 5
    assert recent == [str(uuid.UUID(int=n + 1)) for n in (1, 2, 3, 4)]


def test_the_events_view_reads_the_newest_snapshot_or_the_one_as_of_an_id_or_a_time(
    catalog: SqlCatalog,
) -> None:
    sink = sink_on(catalog)
    sink.write(batch(0, 0, 3))
    first = sink.table.current_snapshot()
    assert first is not None
    sink.write(batch(0, 3, 2))

    def count(as_of: str | None) -> Any:
        connection = duckdb.connect()
        table_events_view(connection, sink.table, as_of)
        return connection.execute("SELECT count(*), min(event_date) FROM events").fetchone()

    assert count(None) == (5, DAY)
    assert count(str(first.snapshot_id)) == (3, DAY)
    at = datetime.fromtimestamp(first.timestamp_ms / 1000, tz=UTC).isoformat()
    assert count(at) == (3, DAY)
    with pytest.raises(AsOfError, match="no snapshot as of"):
        count("2001-01-01T00:00:00+00:00")
    with pytest.raises(AsOfError, match="neither a snapshot id nor a time"):
        count("yesterday")


def test_another_engines_commit_records_no_offsets_and_the_one_before_it_still_speaks(
    catalog: SqlCatalog,
) -> None:
    sink = sink_on(catalog)
    sink.write(batch(0, 0, 3))
    foreign = sink.table.scan().to_arrow().slice(0, 1)
    sink.table.append(foreign)  # as Spark would: no Kafka offsets in its summary
    assert sink.take_over(0)[0] == 3
    sink.write(batch(0, 3, 1))
    assert next_offsets(sink.table, TOPIC) == {0: 4}
    assert sink.table.scan().to_arrow().num_rows == 5
