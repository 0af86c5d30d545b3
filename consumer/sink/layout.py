"""Where a file lives and what its name says: the layout readers and the resume scan share.

    <root>/<topic>/event_date=YYYY-MM-DD/part-<partition>-<first offset>-<last offset>.<ext>

Offsets are zero-padded to 20 digits (a Kafka offset is a signed 64-bit integer, at most 19
digits), so a partition's files sort by name in offset order; the partition number is not
padded. `event_date=` is hive-style partitioning: DuckDB, Spark and Trino read it as a
column. A file being written locally has a hidden name in the same folder,
`.part-….<ext>.tmp-<random hex>`; query engines skip dot-prefixed names, and the resume scan
deletes those of the partition it takes over (leftovers of a crash).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date

DATE_DIRECTORY_PREFIX = "event_date="

_TOPIC = re.compile(r"[A-Za-z0-9._-]+")
_PART = r"part-(\d+)-(\d{20})-(\d{20})\.([A-Za-z0-9]+)"
_FINAL_NAME = re.compile(_PART)
_TEMPORARY_NAME = re.compile(r"\." + _PART + r"\.tmp-[0-9a-f]+")


@dataclass(frozen=True, order=True)
class PartName:
    """What a file name says: a partition's offset range and the format's extension."""

    partition: int
    first_offset: int
    last_offset: int
    extension: str


def file_name(partition: int, first_offset: int, last_offset: int, extension: str) -> str:
    """`part-<partition>-<first:020d>-<last:020d>.<extension>`."""
    return f"part-{partition}-{first_offset:020d}-{last_offset:020d}.{extension}"


def date_directory(event_date: date) -> str:
    """`event_date=YYYY-MM-DD`."""
    return f"{DATE_DIRECTORY_PREFIX}{event_date.isoformat()}"


def relative_path(
    topic: str, event_date: date, partition: int, first_offset: int, last_offset: int, ext: str
) -> str:
    """`<topic>/event_date=YYYY-MM-DD/part-…` with `/` separators, relative to the root."""
    if not _TOPIC.fullmatch(topic) or topic in (".", ".."):
        raise ValueError(f"not a Kafka topic name: {topic!r}")
    name = file_name(partition, first_offset, last_offset, ext)
    return f"{topic}/{date_directory(event_date)}/{name}"


def event_date_of(relative: str) -> date:
    """The event date a file's relative path names in its `event_date=` folder.

    Raises:
        ValueError: the path's folder is not a date folder.
    """
    folder = relative.rsplit("/", 2)[-2]
    if not folder.startswith(DATE_DIRECTORY_PREFIX):
        raise ValueError(f"not in an {DATE_DIRECTORY_PREFIX} folder: {relative!r}")
    return date.fromisoformat(folder.removeprefix(DATE_DIRECTORY_PREFIX))


def temporary_name(final_name: str) -> str:
    """A hidden, unique name for `final_name` while it is written (same folder)."""
    return f".{final_name}.tmp-{secrets.token_hex(8)}"


def parse_file_name(name: str) -> PartName | None:
    """The coordinates in a final file name, or None for any other name."""
    found = _FINAL_NAME.fullmatch(name)
    return None if found is None else _part_name(found)


def parse_temporary_name(name: str) -> PartName | None:
    """The coordinates of the file a hidden temporary was meant to become, or None."""
    found = _TEMPORARY_NAME.fullmatch(name)
    return None if found is None else _part_name(found)


def _part_name(found: re.Match[str]) -> PartName:
    return PartName(int(found.group(1)), int(found.group(2)), int(found.group(3)), found.group(4))
