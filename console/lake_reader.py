"""The lake as the console shows it: files and rows per day, the table's snapshots, and the
rows of the `events` view with every personal column left out.

Read through the same settings and readers as `make query` (consumer.settings.LakeSettings,
consumer.query), opened read-only: an Iceberg catalog no writer has made yet is not made
here, and nothing is written to the lake or its catalog.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import IO, TypeVar

import fastavro
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import structlog
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.table import Table
from pyiceberg.table.snapshots import Snapshot
from pyiceberg.transforms import DayTransform
from sqlalchemy.exc import SQLAlchemyError

from console.errors import ConsoleError
from consumer.lake import open_catalog
from consumer.query import LakeQueryError, NoEventsError, file_events, table_events
from consumer.settings import LakeSettings
from consumer.sink.files import Target, open_target
from consumer.sink.layout import event_date_of
from platform_common.database import engine_url

log = structlog.get_logger("console.lake")

SNAPSHOTS_SHOWN = 20
# Files whose rows and bytes are kept, most recently counted last.
_COUNTED_FILES = 100_000
_EPOCH = date(1970, 1, 1)
_NO_CATALOG = "No catalog yet: the lake writer has not started."
T = TypeVar("T")


class LakeUnavailableError(ConsoleError):
    status = 502


@dataclass(frozen=True)
class LakeDay:
    day: date | None  # None: files of an unpartitioned table
    files: int
    rows: int
    bytes: int


@dataclass(frozen=True)
class LakeSnapshot:
    snapshot_id: int
    committed_ms: int
    operation: str
    added_files: int
    added_rows: int
    total_rows: int
    source: str  # the Kafka partition and offsets a batch commit names, else empty


@dataclass(frozen=True)
class LakeSummary:
    description: str
    days: list[LakeDay]
    snapshots: list[LakeSnapshot]
    # Why there is nothing to show yet, if there is not.
    empty_reason: str | None = None
    # What did not answer, when the lake or its catalog did not.
    unavailable: str | None = None

    @property
    def rows(self) -> int:
        return sum(day.rows for day in self.days)

    @property
    def files(self) -> int:
        return sum(day.files for day in self.days)


class LakeReader:
    """One per console; thread-safe. ``hidden`` columns are never read into a query; when
    they are unknown (None: no schema said which are personal), no query runs."""

    def __init__(self, lake: LakeSettings, *, hidden: frozenset[str] | None) -> None:
        self.lake = lake
        self.hidden = hidden
        self._lock = threading.Lock()
        self._catalog: SqlCatalog | None = None
        self._file_figures: OrderedDict[str, tuple[int, int]] = OrderedDict()
        # The newest snapshot's rows, read once: a snapshot never changes.
        self._scanned: tuple[int, pa.Table] | None = None

    @property
    def description(self) -> str:
        if self.lake.format == "iceberg":
            name = f"{self.lake.table_namespace}.{self.lake.iceberg_table}"
            return f"Iceberg table {name} (warehouse {self.lake.output})"
        kind = "Parquet" if self.lake.format == "parquet" else "Avro"
        return f"{kind} files of {self.lake.events_topic} under {self.lake.output}"

    def summary(self) -> LakeSummary:
        try:
            if self.lake.format == "iceberg":
                return self._table_summary()
            return self._files_summary()
        except NoEventsError as nothing:
            return LakeSummary(self.description, [], [], empty_reason=str(nothing))
        except LakeUnavailableError as down:
            return LakeSummary(self.description, [], [], unavailable=down.message)

    def events(self) -> ds.Dataset | pa.Table:
        """The rows of the `events` view, personal columns left out.

        Raises:
            NoEventsError: nothing to query yet, or Avro files (DuckDB reads Parquet).
        """
        hidden = self.hidden
        if hidden is None:
            raise LakeQueryError(
                f"No schema version in {self.lake.schema_folder} says which columns are "
                "personal, so the SQL box runs nothing."
            )
        if self.lake.format == "avro":
            raise NoEventsError("The lake holds Avro files; the SQL box reads Parquet and Iceberg.")
        if self.lake.format == "parquet":
            return self._guarded(
                lambda: file_events(
                    open_target(self.lake.output), self.lake.events_topic, hidden=hidden
                )
            )
        table = self._table()
        snapshot = table.current_snapshot()
        if snapshot is None:
            raise NoEventsError("The table has no snapshot yet.")
        with self._lock:
            scanned = self._scanned
        if scanned is not None and scanned[0] == snapshot.snapshot_id:
            return scanned[1]
        rows = self._guarded(lambda: table_events(table, hidden=hidden))
        with self._lock:
            self._scanned = (snapshot.snapshot_id, rows)
        return rows

    def close(self) -> None:
        with self._lock:
            catalog, self._catalog = self._catalog, None
        if catalog is not None:
            catalog.close()

    def _files_summary(self) -> LakeSummary:
        target = open_target(self.lake.output)
        files = self._guarded(lambda: target.list_final_files(self.lake.events_topic))
        if not files:
            raise NoEventsError(f"No files of {self.lake.events_topic} yet.")
        per_day: dict[date | None, list[int]] = {}
        for relative, _ in files:
            rows, size = self._guarded(partial(self._count_file, target, relative))
            figures = per_day.setdefault(event_date_of(relative), [0, 0, 0])
            figures[0] += 1
            figures[1] += rows
            figures[2] += size
        days = [LakeDay(day, *figures) for day, figures in per_day.items()]
        return LakeSummary(self.description, _newest_first(days), [])

    def _count_file(self, target: Target, relative: str) -> tuple[int, int]:
        """The file's rows and bytes, read once: a lake file never changes under its name."""
        with self._lock:
            known = self._file_figures.get(relative)
        if known is not None:
            return known
        with target.open_file(relative) as stream:
            figures = (_count_rows(stream, relative), _stream_size(stream))
        with self._lock:
            self._file_figures[relative] = figures
            while len(self._file_figures) > _COUNTED_FILES:
                self._file_figures.popitem(last=False)
        return figures

    def _table_summary(self) -> LakeSummary:
        table = self._table()
        snapshots = [
            _snapshot(snapshot)
            for snapshot in sorted(
                table.metadata.snapshots, key=lambda s: s.timestamp_ms, reverse=True
            )[:SNAPSHOTS_SHOWN]
        ]
        if table.current_snapshot() is None:
            return LakeSummary(self.description, [], snapshots, "The table has no snapshot yet.")
        day_of = _day_of(table)
        per_day: dict[date | None, list[int]] = {}
        for task in self._guarded(lambda: list(table.scan().plan_files())):
            figures = per_day.setdefault(day_of(task.file.partition), [0, 0, 0])
            figures[0] += 1
            figures[1] += task.file.record_count
            figures[2] += task.file.file_size_in_bytes
        days = [LakeDay(day, *figures) for day, figures in per_day.items()]
        return LakeSummary(self.description, _newest_first(days), snapshots)

    def _table(self) -> Table:
        identifier = (self.lake.table_namespace, self.lake.iceberg_table)

        def load() -> Table:
            catalog = self._open_catalog()
            if not catalog.table_exists(identifier):
                raise NoEventsError(f"No table {'.'.join(identifier)} yet.")
            return catalog.load_table(identifier)

        try:
            return self._guarded(load)
        except LakeUnavailableError:
            # A catalog whose database went away is opened again on the next request.
            self.close()
            raise

    def _open_catalog(self) -> SqlCatalog:
        url = engine_url(self.lake.iceberg_catalog_url())
        if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
            raise NoEventsError(_NO_CATALOG)
        with self._lock:
            if self._catalog is None:
                self._catalog = open_catalog(self.lake, read_only=True)
            return self._catalog

    def _guarded(self, read: Callable[[], T]) -> T:
        try:
            return read()
        except NoEventsError:
            raise
        except SQLAlchemyError as error:
            # A read-only catalog no writer made yet has no tables to read.
            if "no such table" in str(error) or "does not exist" in str(error):
                raise NoEventsError(_NO_CATALOG) from None
            log.warning("lake_unavailable", error=type(error).__name__)
            raise LakeUnavailableError("The lake's catalog did not answer.") from None
        except (OSError, ValueError) as error:
            log.warning("lake_unavailable", error=type(error).__name__)
            raise LakeUnavailableError("The lake could not be read.") from None


def _snapshot(snapshot: Snapshot) -> LakeSnapshot:
    summary = snapshot.summary
    figures = summary.additional_properties if summary is not None else {}
    partition, offsets = figures.get("kafka.batch.partition"), figures.get("kafka.batch.offsets")
    return LakeSnapshot(
        snapshot_id=snapshot.snapshot_id,
        committed_ms=snapshot.timestamp_ms,
        operation=str(summary.operation.value) if summary is not None else "",
        added_files=int(figures.get("added-data-files", 0)),
        added_rows=int(figures.get("added-records", 0)),
        total_rows=int(figures.get("total-records", 0)),
        source=f"partition {partition}, offsets {offsets}" if partition and offsets else "",
    )


def _day_of(table: Table) -> Callable[[object], date | None]:
    """The day of a data file's partition, where the table is partitioned by day."""
    spec = table.spec()
    position = next(
        (i for i, field in enumerate(spec.fields) if isinstance(field.transform, DayTransform)),
        None,
    )

    def day(partition: object) -> date | None:
        if position is None:
            return None
        value = partition[position]  # type: ignore[index]
        return _EPOCH + timedelta(days=value) if isinstance(value, int) else None

    return day


def _count_rows(stream: IO[bytes], relative: str) -> int:
    if relative.endswith(".parquet"):
        return int(pq.ParquetFile(stream).metadata.num_rows)
    # An Avro file says each block's count in its header: no record is decoded.
    return sum(block.num_records for block in fastavro.block_reader(stream))


def _stream_size(stream: IO[bytes]) -> int:
    stream.seek(0, 2)
    return stream.tell()


def _newest_first(days: list[LakeDay]) -> list[LakeDay]:
    return sorted(days, key=lambda d: d.day or _EPOCH, reverse=True)
