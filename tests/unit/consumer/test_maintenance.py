"""Maintenance of a real Iceberg table (SQLite catalog, local warehouse)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from pyiceberg.catalog.sql import SqlCatalog

from consumer.lake import open_catalog
from consumer.maintain import main as command
from consumer.maintenance import compact, expire_snapshots, maintain, remove_orphans
from consumer.settings import ConsumerSettings
from consumer.sink import ClosedBatch, RotationReason
from consumer.sink.iceberg import IcebergSink, TableName, next_offsets, open_table
from tests.unit.consumer.samples import READER_SCHEMA, TOPIC
from tests.unit.consumer.test_sink_iceberg import decoded

DAY_MILLIS = 86_400_000


def small_batches(sink: IcebergSink, count: int) -> None:
    """``count`` batches of 3 records over two partitions and two days."""
    for n in range(count):
        partition = n % 2
        first = (n // 2) * 3
        day_offset = (n // 2) % 2
        rows = [decoded(first + k) for k in range(3)]
        rows = [(row[0], row[1] + day_offset * DAY_MILLIS, *row[2:]) for row in rows]
        sink.write(
            ClosedBatch(
                partition=partition,
                event_date=date(2024, 5, 1) + timedelta(days=day_offset),
                first_offset=first,
                last_offset=first + 2,
                records=rows,
                writer_schemas=frozenset({1}),
                reason=RotationReason.COUNT,
            )
        )


def sorted_rows(sink: IcebergSink) -> list[dict[str, object]]:
    sink.table.refresh()
    rows = sink.table.scan().to_arrow().to_pylist()
    return sorted(rows, key=lambda row: (row["user_id"], str(row["event_time"])))


def sink_in(folder: Path) -> IcebergSink:
    catalog = SqlCatalog("lake", uri=f"sqlite:///{folder / 'c.db'}", warehouse=folder.as_uri())
    table = open_table(catalog, TableName("lake", "t"), READER_SCHEMA)
    return IcebergSink(table, topic=TOPIC, reader_schema=READER_SCHEMA)


def data_files(sink: IcebergSink) -> list[str]:
    return [task.file.file_path for task in sink.table.scan().plan_files()]


def test_compaction_leaves_one_file_per_partition_with_the_same_rows_and_offsets(
    tmp_path: Path,
) -> None:
    sink = sink_in(tmp_path)
    small_batches(sink, 200)
    before, offsets = sorted_rows(sink), next_offsets(sink.table, TOPIC)
    assert len(data_files(sink)) == 200
    replaced, written = compact(sink.table, TOPIC, target_bytes=64 * 1024 * 1024)
    assert (replaced, written) == (200, 2)  # two days: one file each
    assert len(data_files(sink)) == 2
    assert sorted_rows(sink) == before
    assert next_offsets(sink.table, TOPIC) == offsets
    assert sink.take_over(1)[0] == offsets[1]


def test_expiry_and_orphan_removal_leave_only_referenced_files(tmp_path: Path) -> None:
    sink = sink_in(tmp_path)
    small_batches(sink, 6)
    before = sorted_rows(sink)
    # A writer that died between writing its data file and committing it left this.
    stray = Path(sink.table.location().removeprefix("file://")) / "data" / "orphan.parquet"
    stray.write_bytes(b"PAR1")
    report = maintain(
        sink.table,
        TOPIC,
        target_bytes=64 * 1024 * 1024,
        snapshot_retention=timedelta(0),
        orphan_age=timedelta(0),
    )
    assert report.snapshots_expired >= 6
    assert report.orphans_removed >= 1
    assert not stray.exists()
    assert sorted_rows(sink) == before
    assert len(sink.table.metadata.snapshots) == 1
    assert expire_snapshots(sink.table, older_than=datetime.now(UTC)) == 0
    assert remove_orphans(sink.table, older_than=datetime.now(UTC)) == 0


def test_the_command_maintains_the_table_the_settings_name(tmp_path: Path) -> None:
    env = {"CONSUMER_FORMAT": "iceberg", "CONSUMER_OUTPUT": str(tmp_path), "EVENTS_TOPIC": TOPIC}
    runner = CliRunner()
    missing = runner.invoke(command, [], env=env)
    assert missing.exit_code == 1
    assert f"the lake has no table lake.{TOPIC} yet" in missing.output
    settings = ConsumerSettings.model_validate({"format": "iceberg", "output": str(tmp_path)})
    catalog = open_catalog(settings)
    sink = IcebergSink(
        open_table(catalog, TableName("lake", TOPIC), READER_SCHEMA),
        topic=TOPIC,
        reader_schema=READER_SCHEMA,
    )
    small_batches(sink, 4)
    catalog.close()
    done = runner.invoke(command, ["--retention-hours", "0", "--orphan-age-hours", "0"], env=env)
    assert done.exit_code == 0, done.output
    # Four appends and two swaps (one per day): all but the newest expire.
    assert "compacted 4 files into 2, expired 5 snapshots" in done.output
