"""What every file sink shares: the `Format` interface, a file's coordinates, sink errors.

A format turns a batch of decoded records (rows in the reader schema's field order, as the
consumer buffers them, or mappings; timestamps as epoch integers or datetimes, uuids as text or
`uuid.UUID`) plus file-level metadata into the bytes of one file, and reads one column of such
a file back (the dedup window is refilled from it). It knows nothing of paths or durability:
`files.py` decides where the bytes go and how they become visible.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from typing import IO, Any, cast

from fastavro.schema import fingerprint, to_parsing_canonical_form

from contract.framing import SchemaRef

# Keys of the file-level metadata, the same in Parquet key-value metadata and the Avro
# container's metadata map, so a reader of either learns where a file came from.
META_TOPIC = "topic"
META_PARTITION = "partition"
META_FIRST_OFFSET = "first_offset"
META_LAST_OFFSET = "last_offset"
META_EVENT_DATE = "event_date"
META_RECORD_COUNT = "record_count"
META_WRITER_SCHEMA_IDS = "writer_schema_ids"
# Writer schemas that records named by GUID (header framing): their ids are not asked for.
META_WRITER_SCHEMA_GUIDS = "writer_schema_guids"
META_READER_SCHEMA_FINGERPRINT = "reader_schema_fingerprint"

Record = Mapping[str, Any]
# A record as a tuple of its values in the reader schema's field order: a third of a dict's
# memory, which is what bounds the consumer's memory while a file's records are buffered.
Row = tuple[Any, ...]
Records = Sequence[Record | Row]


class SinkError(Exception):
    """A batch could not be turned into a file. Messages name fields, never values."""


class SchemaMappingError(SinkError):
    """The reader schema holds a type the format cannot represent."""


class AlreadyCommittedError(SinkError):
    """The lake already holds offsets of this batch: another writer of the partition
    committed them (it took the partition over while this one still wrote)."""


class OffsetOrderError(SinkError):
    """A record arrived at or below an offset its partition already buffered or wrote."""


def schema_fingerprint(schema: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the schema's Avro Parsing Canonical Form: equal for equal schemas.

    Docs, aliases and defaults do not change it; names, types and field order do.
    """
    return fingerprint(to_parsing_canonical_form(dict(schema)), "SHA-256")


@dataclass(frozen=True)
class FileMeta:
    """One file's coordinates: which offsets of which partition it holds, and how they read.

    `first_offset..last_offset` is the file's range of its partition; offsets inside it that
    are not in the file held nothing to land (transaction markers, compacted away, sent to
    the dead-letter topic, or dropped as a repeat of a recent event id). `byte_size` is 0
    until the file is written.
    """

    topic: str
    partition: int
    first_offset: int
    last_offset: int
    event_date: date
    # The writer schemas its records named: schema ids, and GUIDs.
    writer_schemas: frozenset[SchemaRef]
    reader_schema_fingerprint: str
    record_count: int
    byte_size: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        if self.partition < 0 or self.first_offset < 0 or self.last_offset < self.first_offset:
            raise ValueError(
                f"bad file range: partition {self.partition}, "
                f"offsets {self.first_offset}..{self.last_offset}"
            )

    def file_metadata(self) -> dict[str, str]:
        """The key-value metadata every format stores in the file itself."""
        ids = sorted(s for s in self.writer_schemas if isinstance(s, int))
        guids = sorted(str(s) for s in self.writer_schemas if not isinstance(s, int))
        return {
            META_TOPIC: self.topic,
            META_PARTITION: str(self.partition),
            META_FIRST_OFFSET: str(self.first_offset),
            META_LAST_OFFSET: str(self.last_offset),
            META_EVENT_DATE: self.event_date.isoformat(),
            META_RECORD_COUNT: str(self.record_count),
            META_WRITER_SCHEMA_IDS: ",".join(str(i) for i in ids),
            META_WRITER_SCHEMA_GUIDS: ",".join(guids),
            META_READER_SCHEMA_FINGERPRINT: self.reader_schema_fingerprint,
        }


@dataclass(frozen=True)
class Rows:
    """A batch as rows: `fields` are the reader schema's field names, each row their values."""

    fields: tuple[str, ...]
    rows: Sequence[Row]

    @classmethod
    def of(cls, fields: Sequence[str], records: Records) -> Rows:
        """Rows from tuples already in field order, or from mappings (converted once).

        Raises:
            SinkError: a mapping lacks a field (the field is named, no value).
        """
        names = tuple(fields)
        if not records or isinstance(records[0], tuple):
            return cls(names, cast(Sequence[Row], records))
        to_row = row_maker(names)
        try:
            return cls(names, [to_row(record) for record in cast(Sequence[Record], records)])
        except KeyError as exc:
            raise SinkError(f"a record lacks field {exc.args[0]}") from None

    def records(self) -> Iterator[dict[str, Any]]:
        fields = self.fields
        return (dict(zip(fields, row, strict=True)) for row in self.rows)


def row_maker(fields: Sequence[str]) -> Callable[[Record], Row]:
    """A function from a mapping to its row: C-level `itemgetter`, or for a single field a
    lambda, so that the row is a tuple there too."""
    names = tuple(fields)
    if len(names) == 1:
        only = names[0]
        return lambda record: (record[only],)
    return itemgetter(*names)


class Format(ABC):
    """A file format (Quix Streams style): an extension, a way to write a batch, and a way
    to read one column back.

    `file_extension` has no leading dot ("parquet", "avro"); `fields` are the reader
    schema's field names, the order of a row's values.
    """

    file_extension: str
    fields: tuple[str, ...]

    @abstractmethod
    def write(self, records: Records, metadata: Mapping[str, str], out: IO[bytes]) -> None:
        """Write one whole file holding `records` (mappings, or rows in `fields` order) and
        `metadata` to `out`.

        Writes from the current position and leaves `out` open; the caller flushes, syncs
        and closes it.

        Raises:
            SinkError: a record does not fit the reader schema (field named, value not).
        """

    @abstractmethod
    def read_column(self, source: IO[bytes], field: str) -> list[Any]:
        """One field's values in a whole file this format wrote, in file order."""
