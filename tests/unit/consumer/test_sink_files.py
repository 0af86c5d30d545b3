"""Files on disk: hive-style layout, written whole or not at all, found again on restart."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import IO, Any

import fastavro
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from consumer.query import events_view
from consumer.sink.avro import AvroFormat
from consumer.sink.base import Format, Record, SinkError
from consumer.sink.files import (
    ArrowFsTarget,
    FileSink,
    LocalTarget,
    Target,
    open_target,
    write_file_atomically,
)
from consumer.sink.layout import (
    PartName,
    event_date_of,
    file_name,
    parse_file_name,
    parse_temporary_name,
    relative_path,
    temporary_name,
)
from consumer.sink.parquet import ParquetFormat
from consumer.sink.rotation import RotationPolicy, Rotator, estimate_record_size
from tests.unit.consumer.samples import (
    FINGERPRINT,
    READER_SCHEMA,
    TOPIC,
    as_read_back,
    file_meta,
    user_event,
)

MAY_1 = date(2024, 5, 1)
MAY_2 = date(2024, 5, 2)


def events(first: int, last: int, day: date = MAY_1) -> list[dict[str, Any]]:
    return [user_event(offset, day=day) for offset in range(first, last + 1)]


def every_file(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def resume_at(root: Path | Target, partition: int, topic: str = TOPIC) -> int | None:
    """Where a consumer taking the partition over resumes, from its files (None: no files)."""
    sink = FileSink(
        root,
        topic=topic,
        file_format=ParquetFormat(READER_SCHEMA),
        reader_schema_fingerprint=FINGERPRINT,
    )
    return sink.take_over(partition)[0]


def test_a_parquet_file_lands_under_its_date_with_its_offsets_in_the_name(tmp_path: Path) -> None:
    records = events(7, 9)
    written = write_file_atomically(
        tmp_path, file_meta(7, 9), ParquetFormat(READER_SCHEMA), records
    )

    expected = (
        "user-events/event_date=2024-05-01/part-0-00000000000000000007-00000000000000000009.parquet"
    )
    assert written.path == str(tmp_path / expected)
    assert every_file(tmp_path) == [expected]
    assert written.byte_size == os.path.getsize(written.path) > 0
    table = pq.read_table(written.path)
    assert table.to_pylist() == [as_read_back(r) for r in records]
    assert table.schema.metadata is not None
    assert table.schema.metadata[b"reader_schema_fingerprint"] == FINGERPRINT.encode()


def test_an_avro_file_lands_the_same_way(tmp_path: Path) -> None:
    records = events(0, 4, MAY_2)
    written = write_file_atomically(
        tmp_path, file_meta(0, 4, partition=3, day=MAY_2), AvroFormat(READER_SCHEMA), records
    )

    assert every_file(tmp_path) == [
        "user-events/event_date=2024-05-02/part-3-00000000000000000000-00000000000000000004.avro"
    ]
    with open(written.path, "rb") as stored:
        reader = fastavro.reader(stored)
        assert list(reader) == records
        assert reader.metadata["partition"] == "3"
        assert reader.metadata["event_date"] == "2024-05-02"


def test_a_files_path_says_its_event_date() -> None:
    relative = relative_path(TOPIC, MAY_2, 3, 10, 19, "parquet")
    assert event_date_of(relative) == MAY_2
    with pytest.raises(ValueError, match="not in an event_date= folder"):
        event_date_of(f"{TOPIC}/somewhere/part-3-1-2.parquet")


def test_names_sort_in_offset_order_and_parse_back() -> None:
    ranges = [(0, 9), (10, 99), (100, 999), (1000, 2**63 - 1)]
    names = [file_name(4, first, last, "parquet") for first, last in ranges]
    assert sorted(reversed(names)) == names
    assert [parse_file_name(n) for n in names] == [
        PartName(4, first, last, "parquet") for first, last in ranges
    ]


def test_parsing_tells_final_names_from_temporaries_and_strangers() -> None:
    final = file_name(2, 5, 8, "avro")
    parsed = parse_file_name(final)
    assert parsed == PartName(2, 5, 8, "avro")
    hidden = temporary_name(final)
    assert hidden.startswith(".part-2-") and not hidden.endswith(".avro")
    assert parse_temporary_name(hidden) == parsed
    assert parse_file_name(hidden) is None
    assert parse_temporary_name(final) is None
    for stranger in (
        "part-2-5-8.avro",
        "_SUCCESS",
        ".DS_Store",
        final + ".crc",
        "part-x-" + final[7:],
    ):
        assert parse_file_name(stranger) is None


def test_a_topic_name_cannot_climb_out_of_the_root() -> None:
    with pytest.raises(ValueError, match="not a Kafka topic name"):
        relative_path("../etc", MAY_1, 0, 0, 0, "avro")


class ExplodingFormat(Format):
    """Writes half a file, then fails, as a full disk or a bad record would."""

    file_extension = "parquet"

    def write(self, records: Any, metadata: Any, out: IO[bytes]) -> None:
        out.write(b"PAR1 half a file")
        raise SinkError("boom")

    def read_column(self, source: IO[bytes], field: str) -> list[Any]:
        raise AssertionError("nothing was written to read")


def test_a_failed_write_leaves_nothing_where_readers_or_the_scan_look(tmp_path: Path) -> None:
    with pytest.raises(SinkError, match="boom"):
        write_file_atomically(tmp_path, file_meta(0, 0), ExplodingFormat(), events(0, 0))
    assert every_file(tmp_path) == []
    assert resume_at(tmp_path, 0) is None


def test_the_scan_finds_the_highest_offset_across_date_folders(tmp_path: Path) -> None:
    parquet = ParquetFormat(READER_SCHEMA)
    # Partition 0 wrote May 2 first, then a late May 1 event at a higher offset.
    write_file_atomically(tmp_path, file_meta(0, 4, day=MAY_2), parquet, events(0, 4, MAY_2))
    write_file_atomically(tmp_path, file_meta(5, 5, day=MAY_1), parquet, events(5, 5))
    write_file_atomically(tmp_path, file_meta(6, 8, day=MAY_2), parquet, events(6, 8, MAY_2))
    # Another partition's higher offsets are not partition 0's.
    write_file_atomically(tmp_path, file_meta(0, 50, partition=1), parquet, events(0, 50))

    assert resume_at(tmp_path, 0) == 9
    assert resume_at(tmp_path, 1) == 51
    assert resume_at(tmp_path, 2) is None
    assert resume_at(tmp_path, 0, topic="other-topic") is None


def test_the_scan_deletes_its_partitions_crash_leftovers_and_nothing_else(tmp_path: Path) -> None:
    write_file_atomically(tmp_path, file_meta(0, 2), ParquetFormat(READER_SCHEMA), events(0, 2))
    folder = tmp_path / TOPIC / "event_date=2024-05-01"
    mine = folder / temporary_name(file_name(0, 3, 900, "parquet"))
    theirs = folder / temporary_name(file_name(1, 3, 900, "parquet"))
    foreign = folder / ".DS_Store"
    for leftover in (mine, theirs, foreign):
        leftover.write_bytes(b"torn")

    assert resume_at(tmp_path, 0) == 3
    assert not mine.exists()
    assert theirs.exists() and foreign.exists()


def test_file_uris_are_local_folders(tmp_path: Path) -> None:
    target = open_target(tmp_path.as_uri())
    assert isinstance(target, LocalTarget) and target.root == tmp_path
    assert isinstance(open_target(str(tmp_path)), LocalTarget)
    assert open_target(target) is target


class RecordingFileSystem(pafs.LocalFileSystem):
    """The local file system, noting the calls that would cost requests on S3."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, str]] = []

    def open_output_stream(self, path: str, *args: Any, **kwargs: Any) -> Any:
        self.calls.append(("upload", path))
        return super().open_output_stream(path, *args, **kwargs)

    def move(self, src: str, dest: str) -> None:
        self.calls.append(("move", src))
        super().move(src, dest)


def test_an_arrow_file_system_gets_one_upload_under_the_final_name(tmp_path: Path) -> None:
    filesystem = RecordingFileSystem()
    target = ArrowFsTarget(filesystem, f"{tmp_path}/lake")
    records = events(10, 12)

    written = write_file_atomically(
        target, file_meta(10, 12), ParquetFormat(READER_SCHEMA), records
    )

    name = (
        "user-events/event_date=2024-05-01/part-0-00000000000000000010-00000000000000000012.parquet"
    )
    assert filesystem.calls == [("upload", f"{tmp_path}/lake/{name}")]
    assert written.path == f"{tmp_path}/lake/{name}"
    assert every_file(tmp_path / "lake") == [name]
    assert written.byte_size == os.path.getsize(written.path)
    assert pq.read_table(written.path).to_pylist() == [as_read_back(r) for r in records]
    assert resume_at(target, 0) == 13
    assert resume_at(target, 1) is None


def test_the_arrow_target_lists_and_removes_like_the_local_one(tmp_path: Path) -> None:
    local = LocalTarget(tmp_path)
    arrow = ArrowFsTarget(pafs.LocalFileSystem(), str(tmp_path))
    avro = AvroFormat(READER_SCHEMA)
    write_file_atomically(local, file_meta(0, 1), avro, events(0, 1))
    write_file_atomically(arrow, file_meta(2, 3, day=MAY_2), avro, events(2, 3, MAY_2))
    (tmp_path / TOPIC / "stray.txt").write_text("not in a date folder")
    other_folder = tmp_path / TOPIC / "date=2024-05-01"
    other_folder.mkdir()
    (other_folder / file_name(0, 9, 9, "avro")).write_bytes(b"a part file outside the layout")

    assert sorted(local.list_topic_files(TOPIC)) == sorted(arrow.list_topic_files(TOPIC))
    assert [f.name.first_offset for f in arrow.list_partition_files(TOPIC, 0)] == [0, 2]
    arrow.remove(arrow.list_partition_files(TOPIC, 0)[1].relative_path)
    assert resume_at(local, 0) == 2


def run_pipeline(
    root: Path, file_format: Format, batches: list[list[tuple[int, int, date]]]
) -> None:
    """Feed (partition, offset, date) through a Rotator into a FileSink, as the consumer will."""
    sink = FileSink(
        root, topic=TOPIC, file_format=file_format, reader_schema_fingerprint=FINGERPRINT
    )
    rotator = Rotator(
        RotationPolicy(max_records=4), record_size_estimate=estimate_record_size(READER_SCHEMA)
    )
    for batch in batches:
        for partition, offset, day in batch:
            record: Record = user_event(offset, day=day)
            for closed in rotator.append(partition, offset, day, record, writer_schema=2):
                sink.write(closed)
    for closed in rotator.drain_all():
        sink.write(closed)


def test_the_sink_resumes_after_its_files(tmp_path: Path) -> None:
    feed = [(0, offset, MAY_1 if offset < 6 else MAY_2) for offset in range(10)]
    feed += [(1, offset, MAY_1) for offset in range(3)]
    run_pipeline(tmp_path, ParquetFormat(READER_SCHEMA), [feed])

    sink = FileSink(
        tmp_path,
        topic=TOPIC,
        file_format=ParquetFormat(READER_SCHEMA),
        reader_schema_fingerprint=FINGERPRINT,
    )
    assert sink.take_over(0)[0] == 10
    assert sink.take_over(1)[0] == 3
    assert sink.take_over(2)[0] is None
    names = [p.name for p in sorted((tmp_path / TOPIC).rglob("part-0-*"))]
    assert names == [
        "part-0-00000000000000000000-00000000000000000003.parquet",
        "part-0-00000000000000000004-00000000000000000005.parquet",
        "part-0-00000000000000000006-00000000000000000009.parquet",
    ]


def test_duckdb_reads_the_layout_with_event_date_as_a_column(tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    feed = [(p, offset, MAY_1 if offset % 5 else MAY_2) for p in (0, 1) for offset in range(20)]
    run_pipeline(tmp_path, ParquetFormat(READER_SCHEMA), [feed])
    # A torn temporary where a crash left it: the glob must not see it.
    folder = tmp_path / TOPIC / "event_date=2024-05-01"
    (folder / temporary_name(file_name(0, 99, 120, "parquet"))).write_bytes(b"PAR1 torn")

    connection = duckdb.connect()
    glob = [f"{tmp_path}/{TOPIC}/*/*.parquet"]
    rows = connection.execute(
        "select event_date, count(*), count(distinct user_id)"
        " from read_parquet(?, hive_partitioning = true) group by all order by 1",
        glob,
    ).fetchall()
    assert rows == [(MAY_1, 32, 16), (MAY_2, 8, 4)]
    kinds = connection.execute(
        "describe select * from read_parquet(?, hive_partitioning = true)", glob
    ).fetchall()
    assert {name: kind for name, kind, *_ in kinds}["event_time"] == "TIMESTAMP WITH TIME ZONE"


def test_the_events_view_reads_files_of_an_older_and_a_newer_reader_schema(
    tmp_path: Path,
) -> None:
    duckdb = pytest.importorskip("duckdb")
    newer = {
        **READER_SCHEMA,
        "fields": [
            *READER_SCHEMA["fields"],
            {"name": "referrer", "type": ["null", "string"], "default": None},
        ],
    }
    # The older file sorts first, so its columns would win were files matched by position.
    write_file_atomically(tmp_path, file_meta(0, 1), ParquetFormat(READER_SCHEMA), events(0, 1))
    later = [{**user_event(2), "referrer": "ad"}]
    write_file_atomically(tmp_path, file_meta(2, 2), ParquetFormat(newer), later)

    connection = duckdb.connect()
    events_view(connection, str(tmp_path), TOPIC)
    rows = connection.execute("select user_id, referrer from events order by user_id").fetchall()
    assert rows == [(0, None), (1, None), (2, "ad")]
