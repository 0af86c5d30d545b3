"""Confluent's wire framing of a record value: magic byte 0, schema id (int32, big-endian),
then the serialized record."""

from __future__ import annotations

MAGIC_BYTE = 0
# The magic byte, then the schema id.
HEADER_SIZE = 5


class FramingError(ValueError):
    """The value does not start with Confluent's magic byte and a schema id."""


def schema_id_of(value: bytes) -> int:
    """The schema id a framed value names; its record starts at ``HEADER_SIZE``.

    Raises:
        FramingError: too short, or another magic byte.
    """
    if len(value) < HEADER_SIZE or value[0] != MAGIC_BYTE:
        raise FramingError("no Confluent magic byte and schema id")
    return int.from_bytes(value[1:HEADER_SIZE], "big")
