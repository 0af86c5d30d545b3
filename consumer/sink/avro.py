"""Avro object container files through fastavro, the reader schema as the file's schema.

Records are already in the reader schema, so every file of one reader schema carries that
schema, whatever writer schemas its records were encoded with; the writer schema ids and the
reader schema's fingerprint go to the container's metadata map.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import IO, Any

import fastavro

from consumer.sink.base import Format, Records, Rows, SchemaMappingError, SinkError

# fastavro names the field at fault: "... on field user_id", "no value and no default for x".
_FIELD_IN_MESSAGE = re.compile(r"(?:on field|default for) ([A-Za-z_][A-Za-z0-9_.]*)")
# Block compression that needs no extra package, and bytes per block before another starts.
_CODEC = "deflate"
_SYNC_INTERVAL = 1024 * 1024


class AvroFormat(Format):
    """Avro object container files (`.avro`).

    Args:
        reader_schema: the consumer's Avro reader schema.
    """

    file_extension = "avro"

    def __init__(self, reader_schema: Mapping[str, Any]) -> None:
        try:
            self._schema = fastavro.parse_schema(dict(reader_schema))
        except (ValueError, TypeError, KeyError) as exc:
            raise SchemaMappingError(f"the reader schema does not parse: {exc}") from exc
        self.fields = tuple(f["name"] for f in reader_schema.get("fields", []))

    def write(self, records: Records, metadata: Mapping[str, str], out: IO[bytes]) -> None:
        rows = Rows.of(self.fields, records)
        try:
            fastavro.writer(
                out,
                self._schema,
                rows.records(),
                codec=_CODEC,
                sync_interval=_SYNC_INTERVAL,
                metadata=dict(metadata),
            )
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            # Some fastavro messages quote the value (enum symbols, say): keep only the field
            # it names, and raise `from None` so no traceback carries a value into a log.
            found = _FIELD_IN_MESSAGE.search(str(exc))
            where = f"field {found.group(1)}" if found else "a field"
            raise SinkError(f"{where} does not fit the reader schema (Avro write)") from None

    def read_column(self, source: IO[bytes], field: str) -> list[Any]:
        # uuids as text, the form the consumer's decoder yields and compares.
        values = []
        for record in fastavro.reader(source):
            if isinstance(record, dict):
                value = record.get(field)
                values.append(str(value) if isinstance(value, uuid.UUID) else value)
        return values
