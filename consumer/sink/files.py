"""Files on a local disk or an object store: written whole, found again on restart.

Two targets share one interface (`Target`): write a file, list a partition's files, remove.

- `LocalTarget` (a folder): the bytes go to a hidden temporary in the final folder, are
  flushed and fsynced, then `os.rename`d to the final name (atomic on POSIX: a reader sees
  the whole file or none), then the folder is fsynced so the rename survives a power cut.
- `ArrowFsTarget` (a `pyarrow.fs` filesystem, e.g. `s3://bucket/prefix`): an object store
  has no atomic rename, but an object appears only when its upload completes. The file is
  serialized in memory and uploaded once under its final name (`open_output_stream` commits
  the object on close); a crash mid-upload leaves no object.

Files, not committed offsets, are the truth: on assignment the consumer resumes after the
highest offset in the partition's files (`FileSink.take_over`), and offsets are committed only
after files are durable.
"""

from __future__ import annotations

import io
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, cast
from urllib.parse import unquote, urlparse

import pyarrow.fs as pafs
import structlog

from consumer.dedup import newest
from consumer.sink.base import FileMeta, Format, Records
from consumer.sink.layout import (
    DATE_DIRECTORY_PREFIX,
    PartName,
    parse_file_name,
    parse_temporary_name,
    relative_path,
    temporary_name,
)
from consumer.sink.rotation import ClosedBatch

log = structlog.get_logger("consumer.sink")

WriteBody = Callable[[IO[bytes]], None]
# Object stores: a prefix needs no directory marker object (and creating one costs requests).
_NO_DIRECTORIES = frozenset({"s3", "gcs", "abfs"})


@dataclass(frozen=True)
class StoredFile:
    """A file of the layout: its path relative to the root and what its name says."""

    relative_path: str
    name: PartName
    temporary: bool


@dataclass(frozen=True)
class WrittenFile:
    """A durable file: where it is (the target's own path form) and its coordinates."""

    path: str
    meta: FileMeta

    @property
    def byte_size(self) -> int:
        return self.meta.byte_size


class Target(ABC):
    """Where files go; paths are relative to the target's root, with `/` separators."""

    @abstractmethod
    def write_file(self, relative: str, body: WriteBody) -> tuple[str, int]:
        """Make `relative` a complete file holding what `body` writes, or nothing.

        Returns the file's path and its size in bytes.
        """

    @abstractmethod
    def list_topic_files(self, topic: str) -> list[str]:
        """Relative paths of every file in the topic's `event_date=` folders (hidden too)."""

    @abstractmethod
    def remove(self, relative: str) -> None:
        """Delete one file (a missing one is no error)."""

    @abstractmethod
    def open_file(self, relative: str) -> IO[bytes]:
        """One whole file, for reading."""

    @abstractmethod
    def arrow_location(self) -> tuple[pafs.FileSystem, str]:
        """The root as `pyarrow.fs` reads it: a file system and the root's path in it."""

    def list_final_files(self, topic: str) -> list[tuple[str, PartName]]:
        """Every whole file of the topic (no hidden temporary): relative path and name."""
        found = []
        for relative in self.list_topic_files(topic):
            part = parse_file_name(relative.rsplit("/", 1)[-1])
            if part is not None:
                found.append((relative, part))
        return sorted(found)

    def list_partition_files(self, topic: str, partition: int) -> list[StoredFile]:
        """The partition's files in every date folder, hidden temporaries included, sorted."""
        found = []
        for relative in self.list_topic_files(topic):
            name = relative.rsplit("/", 1)[-1]
            temporary = name.startswith(".")
            part = parse_temporary_name(name) if temporary else parse_file_name(name)
            if part is not None and part.partition == partition:
                found.append(StoredFile(relative, part, temporary))
        return sorted(found, key=lambda f: (f.name.first_offset, f.relative_path))


class LocalTarget(Target):
    """A folder on a local (POSIX) file system: temporary, fsync, rename, fsync folder."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._made: set[Path] = set()

    def write_file(self, relative: str, body: WriteBody) -> tuple[str, int]:
        final = self.root / relative
        folder = final.parent
        self._make_folders(folder)
        temporary = folder / temporary_name(final.name)
        try:
            with open(temporary, "xb") as out:
                body(out)
                out.flush()
                # Data on disk before the name points at it: else a power cut after the
                # rename could leave a final name over a truncated file.
                os.fsync(out.fileno())
                size = os.fstat(out.fileno()).st_size
            os.rename(temporary, final)
        except BaseException:
            with suppress(OSError):
                os.unlink(temporary)
            raise
        _fsync_folder(folder)
        return str(final), size

    def list_topic_files(self, topic: str) -> list[str]:
        try:
            with os.scandir(self.root / topic) as entries:
                folders = [e for e in entries if e.is_dir()]
        except FileNotFoundError:
            return []
        found = []
        for folder in folders:
            if not folder.name.startswith(DATE_DIRECTORY_PREFIX):
                continue
            with os.scandir(folder.path) as entries:
                found += [f"{topic}/{folder.name}/{e.name}" for e in entries if e.is_file()]
        return found

    def remove(self, relative: str) -> None:
        path = self.root / relative
        with suppress(FileNotFoundError):
            path.unlink()
            _fsync_folder(path.parent)

    def open_file(self, relative: str) -> IO[bytes]:
        return open(self.root / relative, "rb")

    def arrow_location(self) -> tuple[pafs.FileSystem, str]:
        return pafs.LocalFileSystem(), str(self.root.resolve())

    def _make_folders(self, folder: Path) -> None:
        if folder in self._made:
            return
        # Each folder made is fsynced into its parent, so a durable file is never in a
        # folder that a power cut forgets.
        missing = []
        current = folder
        while not current.exists():
            missing.append(current)
            current = current.parent
        for path in reversed(missing):
            with suppress(FileExistsError):
                path.mkdir()
            _fsync_folder(path.parent)
        self._made.add(folder)


class ArrowFsTarget(Target):
    """A `pyarrow.fs` file system (S3, GCS, local, …): one upload under the final name."""

    def __init__(self, filesystem: pafs.FileSystem, base_path: str) -> None:
        self.filesystem = filesystem
        self.base_path = base_path.rstrip("/")
        self._made: set[str] = set()

    @classmethod
    def from_uri(cls, uri: str) -> ArrowFsTarget:
        """A target for `s3://bucket/prefix` and the other URIs pyarrow understands."""
        filesystem, path = pafs.FileSystem.from_uri(uri)
        return cls(filesystem, path)

    def write_file(self, relative: str, body: WriteBody) -> tuple[str, int]:
        path = f"{self.base_path}/{relative}"
        self._make_folder(path.rsplit("/", 1)[0])
        buffer = io.BytesIO()
        body(buffer)
        payload = buffer.getbuffer()
        # No rename on an object store: the object becomes visible, whole, when the stream
        # closes; a failed or interrupted upload leaves nothing under the name.
        with self.filesystem.open_output_stream(path, compression=None) as stream:
            stream.write(payload)
        return path, len(payload)

    def list_topic_files(self, topic: str) -> list[str]:
        selector = pafs.FileSelector(
            f"{self.base_path}/{topic}", recursive=True, allow_not_found=True
        )
        prefix = f"{self.base_path}/"
        found = []
        for info in self.filesystem.get_file_info(selector):
            if info.type != pafs.FileType.File or not info.path.startswith(prefix):
                continue
            relative = info.path[len(prefix) :]
            parts = relative.split("/")
            if len(parts) == 3 and parts[1].startswith(DATE_DIRECTORY_PREFIX):
                found.append(relative)
        return found

    def remove(self, relative: str) -> None:
        with suppress(FileNotFoundError):
            self.filesystem.delete_file(f"{self.base_path}/{relative}")

    def open_file(self, relative: str) -> IO[bytes]:
        return cast(IO[bytes], self.filesystem.open_input_file(f"{self.base_path}/{relative}"))

    def arrow_location(self) -> tuple[pafs.FileSystem, str]:
        return self.filesystem, self.base_path

    def _make_folder(self, folder: str) -> None:
        if folder in self._made or self.filesystem.type_name in _NO_DIRECTORIES:
            return
        self.filesystem.create_dir(folder, recursive=True)
        self._made.add(folder)


def open_target(root: Target | str | os.PathLike[str]) -> Target:
    """A target for a folder, a `file://` URI or a `pyarrow.fs` URI such as `s3://b/prefix`."""
    if isinstance(root, Target):
        return root
    text = os.fspath(root)
    if "://" not in text:
        return LocalTarget(text)
    parsed = urlparse(text)
    if parsed.scheme == "file":
        return LocalTarget(unquote(parsed.path))
    return ArrowFsTarget.from_uri(text)


def write_file_atomically(
    root: Target | str | os.PathLike[str],
    meta: FileMeta,
    file_format: Format,
    records: Records,
) -> WrittenFile:
    """Write `records` as the file `meta` names, so readers see all of it or nothing.

    Returns the final path and `meta` with its byte size.

    Raises:
        SinkError: a record does not fit the reader schema; nothing is left behind.
        OSError: the file system failed; a local temporary is removed, if possible.
    """
    if meta.record_count != len(records):
        raise ValueError(f"meta says {meta.record_count} records, the batch has {len(records)}")
    relative = relative_path(
        meta.topic,
        meta.event_date,
        meta.partition,
        meta.first_offset,
        meta.last_offset,
        file_format.file_extension,
    )
    metadata = meta.file_metadata()

    def body(out: IO[bytes]) -> None:
        file_format.write(records, metadata, out)

    path, size = open_target(root).write_file(relative, body)
    return WrittenFile(path, replace(meta, byte_size=size))


def _final_files_after_cleanup(target: Target, topic: str, partition: int) -> list[StoredFile]:
    """The partition's visible files, once its hidden temporaries are deleted."""
    finals = []
    for stored in target.list_partition_files(topic, partition):
        if stored.temporary:
            target.remove(stored.relative_path)
            log.info(
                "sink_temporary_removed",
                topic=topic,
                partition=partition,
                path=stored.relative_path,
            )
        else:
            finals.append(stored)
    return finals


class FileSink:
    """One topic's files under one root, in one format: write batches, find resume points.

    Args:
        root: a folder, a `file://` URI, a `pyarrow.fs` URI or a `Target`.
        topic: the Kafka topic, also the first folder under the root.
        file_format: `ParquetFormat` or `AvroFormat` of the reader schema.
        reader_schema_fingerprint: `schema_fingerprint(reader_schema)`, stored in each file.
    """

    def __init__(
        self,
        root: Target | str | os.PathLike[str],
        *,
        topic: str,
        file_format: Format,
        reader_schema_fingerprint: str,
    ) -> None:
        self.target = open_target(root)
        self.topic = topic
        self.file_format = file_format
        self.fields = file_format.fields
        self.reader_schema_fingerprint = reader_schema_fingerprint

    def write(self, batch: ClosedBatch) -> WrittenFile:
        """Write one closed batch as one durable file."""
        meta = batch.file_meta(
            topic=self.topic, reader_schema_fingerprint=self.reader_schema_fingerprint
        )
        written = write_file_atomically(self.target, meta, self.file_format, batch.records)
        log.info(
            "sink_file_written",
            topic=self.topic,
            partition=batch.partition,
            first_offset=batch.first_offset,
            last_offset=batch.last_offset,
            records=len(batch.records),
            bytes=written.byte_size,
            reason=str(batch.reason),
        )
        return written

    def close(self) -> None:
        """Nothing to release: each file is closed when written."""

    def take_over(
        self, partition: int, *, field: str | None = None, window: int = 0
    ) -> tuple[int | None, list[Any]]:
        """For a partition this consumer now owns: the offset to resume at (after the files'
        highest, None without files) and the `field` of its last `window` records, oldest
        first. One listing of the partition's files serves both; temporaries are deleted."""
        finals = _final_files_after_cleanup(self.target, self.topic, partition)
        highest = max((f.name.last_offset for f in finals), default=None)
        recent = self._newest_values(finals, field, window) if field is not None else []
        return (None if highest is None else highest + 1), recent

    def _newest_values(self, finals: list[StoredFile], field: str, window: int) -> list[Any]:
        if window <= 0:
            return []
        ours = [f for f in finals if f.name.extension == self.file_format.file_extension]
        ours.sort(key=lambda f: f.name.last_offset, reverse=True)

        def values_by_file() -> Iterator[list[Any]]:
            for found in ours:
                with self.target.open_file(found.relative_path) as source:
                    yield self.file_format.read_column(source, field)

        return newest(values_by_file(), window)


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
