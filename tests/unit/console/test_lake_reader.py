"""The lake page's reader over a real files lake and a real Iceberg table (SQLite catalog)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from pydantic import SecretStr

from console.lake_reader import LakeReader, LakeUnavailableError
from consumer.lake import open_catalog
from consumer.query import NoEventsError, register_events
from consumer.settings import LakeSettings
from consumer.sink.files import write_file_atomically
from consumer.sink.iceberg import IcebergSink, TableName, open_table
from consumer.sink.parquet import ParquetFormat
from stack.ports import free_port
from tests.unit.consumer.samples import READER_SCHEMA, TOPIC, file_meta, user_event
from tests.unit.consumer.test_sink_iceberg import batch

MAY_1, MAY_2 = date(2024, 5, 1), date(2024, 5, 2)
# The event as a team might extend it: a field tagged personal the Confluent way.
WITH_EMAIL: dict[str, Any] = {
    **READER_SCHEMA,
    "fields": [
        *READER_SCHEMA["fields"],
        {"name": "email", "type": ["null", "string"], "default": None, "confluent:tags": ["PII"]},
    ],
}


def files_lake(root: Path) -> LakeSettings:
    def day_events(first: int, last: int, day: date) -> list[dict[str, Any]]:
        return [
            {**user_event(n, day=day), "email": f"person{n}@example.com"}
            for n in range(first, last + 1)
        ]

    parquet = ParquetFormat(WITH_EMAIL)
    write_file_atomically(root, file_meta(0, 2, day=MAY_1), parquet, day_events(0, 2, MAY_1))
    write_file_atomically(root, file_meta(3, 3, day=MAY_1), parquet, day_events(3, 3, MAY_1))
    write_file_atomically(root, file_meta(4, 8, day=MAY_2), parquet, day_events(4, 8, MAY_2))
    (root / TOPIC / "event_date=2024-05-02" / ".part-0-x.parquet.tmp-00").write_bytes(b"half")
    return LakeSettings(output=str(root), format="parquet")


def query(reader: LakeReader, sql: str) -> list[tuple[Any, ...]]:
    connection = duckdb.connect()
    register_events(connection, reader.events())
    return connection.execute(sql).fetchall()


def test_a_files_lake_shows_files_and_rows_per_day_newest_first(tmp_path: Path) -> None:
    summary = LakeReader(files_lake(tmp_path), hidden=frozenset()).summary()
    assert [(d.day, d.files, d.rows) for d in summary.days] == [(MAY_2, 1, 5), (MAY_1, 2, 4)]
    assert (summary.rows, summary.files, summary.snapshots) == (9, 3, [])
    assert all(day.bytes > 0 for day in summary.days)


def test_the_events_of_a_files_lake_leave_the_hidden_columns_out(tmp_path: Path) -> None:
    reader = LakeReader(files_lake(tmp_path), hidden=frozenset({"email"}))
    rows = query(reader, "select event_date, count(*) from events group by 1 order by 1")
    assert rows == [(MAY_1, 4), (MAY_2, 5)]
    connection = duckdb.connect()
    register_events(connection, reader.events())
    columns = [row[0] for row in connection.execute("describe events").fetchall()]
    assert "email" not in columns and "event_date" in columns
    with pytest.raises(duckdb.BinderException):
        connection.execute("select email from events_scanned")


def test_an_empty_folder_says_there_is_nothing_yet(tmp_path: Path) -> None:
    reader = LakeReader(LakeSettings(output=str(tmp_path), format="parquet"), hidden=frozenset())
    assert reader.summary().empty_reason is not None
    with pytest.raises(NoEventsError):
        reader.events()


def iceberg_lake(folder: Path) -> LakeSettings:
    return LakeSettings(
        output=str(folder),
        format="iceberg",
        catalog_url=SecretStr(f"sqlite:///{folder / 'catalog.db'}"),
    )


def test_a_table_shows_its_snapshots_and_rows_per_day(tmp_path: Path) -> None:
    lake = iceberg_lake(tmp_path)
    table = open_table(open_catalog(lake), TableName("lake", TOPIC), READER_SCHEMA)
    sink = IcebergSink(table, topic=TOPIC, reader_schema=READER_SCHEMA)
    sink.write(batch(0, 0, 3))
    sink.write(batch(1, 0, 2))

    reader = LakeReader(lake, hidden=frozenset({"country_code"}))
    summary = reader.summary()
    assert [(d.day, d.files, d.rows) for d in summary.days] == [(MAY_1, 2, 5)]
    assert [(s.added_rows, s.total_rows, s.source) for s in summary.snapshots] == [
        (2, 5, "partition 1, offsets 0-1"),
        (3, 3, "partition 0, offsets 0-2"),
    ]
    assert query(reader, "select count(*), min(event_date) from events") == [(5, MAY_1)]
    with pytest.raises(duckdb.BinderException):
        query(reader, "select country_code from events")
    # The same snapshot is read once; a new one is read again.
    assert reader.events() is reader.events()
    sink.write(batch(0, 3, 1))
    assert query(reader, "select count(*) from events") == [(6,)]


def test_a_catalog_no_writer_made_is_not_made_by_reading_it(tmp_path: Path) -> None:
    reader = LakeReader(iceberg_lake(tmp_path / "none"), hidden=frozenset())
    assert reader.summary().empty_reason == "No catalog yet: the lake writer has not started."
    with pytest.raises(NoEventsError):
        reader.events()
    assert not (tmp_path / "none").exists()


def test_a_catalog_that_does_not_answer_is_said_so_on_the_page(tmp_path: Path) -> None:
    lake = LakeSettings(
        output=str(tmp_path),
        format="iceberg",
        catalog_url=SecretStr(f"postgresql://nobody@127.0.0.1:{free_port()}/nothing"),
    )
    reader = LakeReader(lake, hidden=frozenset())
    summary = reader.summary()
    assert summary.unavailable == "The lake's catalog did not answer."
    assert summary.days == [] and summary.empty_reason is None
    with pytest.raises(LakeUnavailableError):
        reader.events()
