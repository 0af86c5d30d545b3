"""Avro object container files through fastavro, the reader schema as the file's schema.

Records are already in the reader schema, so every file of one reader schema carries that
schema, whatever writer schemas its records were encoded with; the writer schema ids and the
reader schema's fingerprint go to the container's metadata map.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import IO, Any, Literal

import fastavro

from consumer.sink.base import Format, Records, Rows, SchemaMappingError, SinkError

# fastavro names the field at fault: "... on field user_id", "no value and no default for x".
_FIELD_IN_MESSAGE = re.compile(r"(?:on field|default for) ([A-Za-z_][A-Za-z0-9_.]*)")
# Codecs fastavro writes without an extra package.
AvroCodec = Literal["deflate", "null"]


class AvroFormat(Format):
    """Avro object container files (`.avro`).

    Args:
        reader_schema: the consumer's Avro reader schema.
        codec: block compression; "deflate" needs no extra package.
        sync_interval: bytes per block before fastavro starts another.
    """

    file_extension = "avro"

    def __init__(
        self,
        reader_schema: Mapping[str, Any],
        *,
        codec: AvroCodec = "deflate",
        sync_interval: int = 1024 * 1024,
    ) -> None:
        try:
            self._schema = fastavro.parse_schema(dict(reader_schema))
        except (ValueError, TypeError, KeyError) as exc:
            raise SchemaMappingError(f"the reader schema does not parse: {exc}") from exc
        self.fields = tuple(f["name"] for f in reader_schema.get("fields", []))
        self._codec: AvroCodec = codec
        self._sync_interval = sync_interval

    def write(self, records: Records, metadata: Mapping[str, str], out: IO[bytes]) -> None:
        rows = Rows.of(self.fields, records)
        try:
            fastavro.writer(
                out,
                self._schema,
                rows.records(),
                codec=self._codec,
                sync_interval=self._sync_interval,
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
