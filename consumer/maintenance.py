"""Keeping the Iceberg table lean: compact small files, expire old snapshots, remove orphans.

pyiceberg expires snapshots, but has no rewrite of data files and no orphan-file removal (the
JVM's Iceberg actions do both); those two are written here on its public scan, file and
commit APIs.

- **Compaction**, per partition (a day of `event_time`): the data files under the target size
  are read, written again as one file per target size, and swapped in one overwrite snapshot
  that deletes exactly those files. It is safe while writers run: the snapshot carries every
  partition's next offset forward (`SnapshotOffsets`), a writer's concurrent append makes
  the swap retry on the refreshed table, and a file that vanished meanwhile (another
  compaction) abandons the swap, leaving the new file an orphan.
- **Expiry** drops snapshots older than the retention, never the current one.
- **Orphan removal** deletes files under the table's location that no remaining snapshot or
  metadata file references and that are older than a safety age (a writer's data files exist
  for a moment before its commit references them).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, cast
from urllib.parse import urlparse

import pyarrow.fs as pafs
import pyarrow.parquet as pq
import structlog
from pyiceberg.exceptions import CommitFailedException, ValidationException
from pyiceberg.expressions import AlwaysTrue
from pyiceberg.io.pyarrow import ArrowScan, PyArrowFileIO, parquet_file_to_data_file
from pyiceberg.manifest import DataFile
from pyiceberg.table import FileScanTask, Table

from consumer.sink.iceberg import SnapshotOffsets

log = structlog.get_logger("consumer.maintenance")

_SWAP_ATTEMPTS = 5


@dataclass(frozen=True)
class MaintenanceReport:
    files_compacted: int
    files_written: int
    snapshots_expired: int
    orphans_removed: int


def maintain(
    table: Table,
    topic: str,
    *,
    target_bytes: int,
    snapshot_retention: timedelta,
    orphan_age: timedelta,
) -> MaintenanceReport:
    """Compact, then expire, then remove orphans (those the first two left included)."""
    compacted, written = compact(table, topic, target_bytes=target_bytes)
    expired = expire_snapshots(table, older_than=datetime.now(UTC) - snapshot_retention)
    removed = remove_orphans(table, older_than=datetime.now(UTC) - orphan_age)
    report = MaintenanceReport(compacted, written, expired, removed)
    log.info("lake_maintained", **report.__dict__)
    return report


def compact(table: Table, topic: str, *, target_bytes: int) -> tuple[int, int]:
    """Rewrite each partition's small data files into files of about ``target_bytes``;
    returns (files replaced, files written)."""
    table.refresh()
    replaced = written = 0
    for tasks in _small_files_by_partition(table, target_bytes):
        for group in _bins(tasks, target_bytes):
            if len(group) < 2:
                continue
            new_file = _rewrite(table, group)
            if _swap(table, topic, [task.file for task in group], new_file):
                replaced += len(group)
                written += 1
    return replaced, written


def expire_snapshots(table: Table, *, older_than: datetime) -> int:
    """Expire the snapshots taken before ``older_than`` (never the current one)."""
    table.refresh()
    current = table.current_snapshot()
    cutoff = int(older_than.timestamp() * 1000)
    old = [
        snapshot.snapshot_id
        for snapshot in table.metadata.snapshots
        if snapshot.timestamp_ms < cutoff
        and (current is None or snapshot.snapshot_id != current.snapshot_id)
    ]
    if old:
        table.maintenance.expire_snapshots().by_ids(old).commit()
    return len(old)


def remove_orphans(table: Table, *, older_than: datetime) -> int:
    """Delete the files under the table's location that nothing references, if older than
    ``older_than``."""
    table.refresh()
    referenced = {_key(path) for path in _referenced_files(table)}
    filesystem, root = _filesystem(table)
    listed = filesystem.get_file_info(pafs.FileSelector(root, recursive=True, allow_not_found=True))
    removed = 0
    for info in listed:
        if info.type != pafs.FileType.File or _key(info.path) in referenced:
            continue
        modified = info.mtime
        if modified is not None and modified.replace(tzinfo=modified.tzinfo or UTC) >= older_than:
            continue
        filesystem.delete_file(info.path)
        removed += 1
    return removed


def _filesystem(table: Table) -> tuple[pafs.FileSystem, str]:
    """The filesystem of the table's location, as the table's own file IO reaches it (an
    object store's endpoint and region are its settings), and the location's path there."""
    location = table.location()
    if isinstance(table.io, PyArrowFileIO):
        scheme, netloc, path = PyArrowFileIO.parse_location(location, table.io.properties)
        return table.io.fs_by_scheme(scheme, netloc), path
    return pafs.FileSystem.from_uri(location)


def _small_files_by_partition(table: Table, target_bytes: int) -> Iterator[list[FileScanTask]]:
    partitions: dict[tuple[int, str], list[FileScanTask]] = defaultdict(list)
    with_deletes: set[tuple[int, str]] = set()
    for task in table.scan().plan_files():
        key = (task.file.spec_id, repr(task.file.partition))
        if task.delete_files:
            with_deletes.add(key)  # another engine's deletes: left to that engine's tools
        elif task.file.file_size_in_bytes < target_bytes:
            partitions[key].append(task)
    for key, tasks in partitions.items():
        if key not in with_deletes:
            yield sorted(tasks, key=lambda task: task.file.file_path)


def _bins(tasks: list[FileScanTask], target_bytes: int) -> Iterator[list[FileScanTask]]:
    """Consecutive groups of files whose sizes add up to about ``target_bytes``."""
    group: list[FileScanTask] = []
    size = 0
    for task in tasks:
        if group and size + task.file.file_size_in_bytes > target_bytes:
            yield group
            group, size = [], 0
        group.append(task)
        size += task.file.file_size_in_bytes
    if group:
        yield group


def _rewrite(table: Table, tasks: list[FileScanTask]) -> DataFile:
    """The tasks' rows, in the table's current schema, as one new data file."""
    schema = table.schema()
    rows = ArrowScan(table.metadata, table.io, schema, AlwaysTrue()).to_table(tasks)
    location = f"{table.location().rstrip('/')}/data/compacted-{uuid.uuid4()}.parquet"
    with table.io.new_output(location).create() as out:
        # The table's Arrow schema carries each column's field id into the file.
        pq.write_table(rows.cast(schema.as_arrow()), cast(IO[bytes], out), compression="zstd")
    return parquet_file_to_data_file(table.io, table.metadata, location)


def _swap(table: Table, topic: str, old: list[DataFile], new: DataFile) -> bool:
    """Replace ``old`` with ``new`` in one snapshot; False if one of ``old`` is gone."""
    wanted = {data_file.file_path for data_file in old}
    for _ in range(_SWAP_ATTEMPTS):
        table.refresh()
        present = {task.file.file_path for task in table.scan().plan_files()}
        if not wanted <= present:
            log.warning("lake_compaction_abandoned", files=len(old))
            return False
        try:
            with table.transaction() as transaction:
                properties = SnapshotOffsets(table, topic)
                update = transaction.update_snapshot(snapshot_properties=properties)  # type: ignore[arg-type]
                with update.overwrite() as overwrite:
                    for data_file in old:
                        overwrite.delete_data_file(data_file)
                    overwrite.append_data_file(new)
            return True
        except (CommitFailedException, ValidationException):
            continue
    log.warning("lake_compaction_gave_up", files=len(old), attempts=_SWAP_ATTEMPTS)
    return False


def _referenced_files(table: Table) -> Iterable[str]:
    """Every file a remaining snapshot or the metadata refers to."""
    metadata = table.metadata
    yield table.metadata_location
    yield from (entry.metadata_file for entry in metadata.metadata_log)
    yield from (statistics.statistics_path for statistics in metadata.statistics)
    for snapshot in metadata.snapshots:
        yield snapshot.manifest_list
        for manifest in snapshot.manifests(table.io):
            yield manifest.manifest_path
            for entry in manifest.fetch_manifest_entry(table.io, discard_deleted=False):
                yield entry.data_file.file_path


def _key(path: str) -> str:
    """A file's location without its scheme: a URI and a filesystem path compare equal."""
    parsed = urlparse(path)
    if parsed.scheme in ("", "file"):
        return parsed.path
    return f"{parsed.netloc}{parsed.path}"
