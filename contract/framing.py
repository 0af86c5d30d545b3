"""Confluent's wire framing: which schema a record was written with, and where its Avro body
starts.

`confluent_kafka` says it in one of two places:
- the value's prefix (the default): magic byte 0 and the schema id (int32, big-endian), then
  the body; magic byte 1 and the schema's 16 GUID bytes is the prefix's other form;
- a record header, `__value_schema_id`: magic byte 1 and the GUID's 16 bytes (or magic byte 0
  and the id); the value is then the body alone.

A record is read as `dual_schema_id_deserializer`, the client's default, reads it: the first
such header if the record has one, else the value's prefix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import Any
from uuid import UUID

MAGIC_ID = 0
MAGIC_GUID = 1
# Where an id or a GUID after its magic byte ends.
_ID_END = 1 + 4
_GUID_END = 1 + 16
VALUE_SCHEMA_ID_HEADER = "__value_schema_id"

# Which schema a record names: a schema id, or a schema GUID.
SchemaRef = int | UUID
# Headers as `confluent_kafka` hands them over: pairs (a consumed record's), or a mapping.
Headers = Sequence[tuple[str, str | bytes | None]] | Mapping[str, str | bytes | None] | None
# `confluent_kafka`'s `schema.id.serializer`: (body, context, SchemaId) -> value.
SchemaIdSerializer = Callable[[bytes, Any, Any], bytes]


class FramingError(ValueError):
    """The record does not say which schema it was written with, as Confluent frames it."""


class SchemaIdFraming(StrEnum):
    """Where a producer writes which schema a value was written with."""

    # Magic byte 0 and the schema id before the body: every Confluent client reads it.
    PREFIX = "prefix"
    # The body alone, the schema's GUID in a header: needs readers that look there (as
    # `confluent_kafka`'s default deserializer does) and a registry that gives GUIDs.
    HEADER = "header"

    def serializer(self) -> SchemaIdSerializer:
        """`confluent_kafka`'s function writing this framing: its serializers'
        `schema.id.serializer`."""
        # Imported here: the users API reads this enum in its settings and never produces, so
        # it does not load the Kafka client.
        from confluent_kafka.schema_registry import (
            header_schema_id_serializer,
            prefix_schema_id_serializer,
        )

        if self is SchemaIdFraming.HEADER:
            return header_schema_id_serializer
        return prefix_schema_id_serializer


def read_framing(value: bytes, headers: Headers) -> tuple[SchemaRef, int]:
    """Which schema a record's value was written with, and the offset in ``value`` at which
    its Avro body starts.

    Args:
        value: the record's value.
        headers: the record's headers, as `Message.headers()` returns them.

    Raises:
        FramingError: a `__value_schema_id` header that is not a magic byte and an id or GUID;
            no such header and a value too short or with another magic byte.
    """
    # Once per consumed record: the common case (a list of pairs, an id prefix) is inline, as
    # a few calls more would cost a tenth of the record's decoding.
    if headers:
        if not isinstance(headers, list):
            headers = list(headers.items() if isinstance(headers, Mapping) else headers)
        for name, found in headers:
            if name == VALUE_SCHEMA_ID_HEADER:
                # One without a value counts as none, as in `dual_schema_id_deserializer`.
                if found is not None:
                    return _from_header(found), 0
                break
    if len(value) >= _ID_END and value[0] == MAGIC_ID:
        return int.from_bytes(value[1:_ID_END], "big"), _ID_END
    return _schema_ref(value, "the value")


def _from_header(found: str | bytes) -> SchemaRef:
    where = f"header {VALUE_SCHEMA_ID_HEADER}"
    if not isinstance(found, bytes):
        raise FramingError(f"{where} is not bytes")
    schema, size = _schema_ref(found, where)
    if size != len(found):
        raise FramingError(f"{where} has {len(found) - size} bytes too many")
    return schema


def _schema_ref(framing: bytes, where: str) -> tuple[SchemaRef, int]:
    """The schema that a magic byte and an id or GUID name, and their size in bytes."""
    if not framing:
        raise FramingError(f"{where} is empty, not a magic byte and schema id")
    magic = framing[0]
    if magic == MAGIC_ID:
        if len(framing) < _ID_END:
            raise FramingError(f"{where} is too short for magic byte {magic} and a schema id")
        return int.from_bytes(framing[1:_ID_END], "big"), _ID_END
    if magic == MAGIC_GUID:
        if len(framing) < _GUID_END:
            raise FramingError(f"{where} is too short for magic byte {magic} and a schema GUID")
        return UUID(bytes=bytes(framing[1:_GUID_END])), _GUID_END
    raise FramingError(f"{where} starts with magic byte {magic}, not {MAGIC_ID} or {MAGIC_GUID}")
