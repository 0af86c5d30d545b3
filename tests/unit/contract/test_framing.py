"""Confluent's two framings: what `confluent_kafka` writes reads back as the schema it named and
the body it framed; a record that names no schema the Confluent way is a FramingError."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from confluent_kafka.schema_registry import dual_schema_id_deserializer
from confluent_kafka.schema_registry.common.serde import SchemaId
from confluent_kafka.serialization import MessageField, SerializationContext
from hypothesis import given
from hypothesis import strategies as st

from contract.framing import (
    VALUE_SCHEMA_ID_HEADER,
    FramingError,
    Headers,
    SchemaIdFraming,
    read_framing,
)

GUID = uuid.UUID("0b6bd1d4-9c47-4f33-a1f5-3d1e5a0c7e21")
BODY = b"\x02\x04avro"


def write(
    framing: SchemaIdFraming, body: bytes, *, schema_id: int = 7, guid: uuid.UUID = GUID
) -> tuple[bytes, list[tuple[str, str | bytes | None]]]:
    """(value, headers) as `confluent_kafka`'s serializers frame ``body``."""
    headers: list[tuple[str, str | bytes | None]] = [("event_id", b"e-1")]
    context = SerializationContext("events", MessageField.VALUE, headers)
    value = framing.serializer()(body, context, SchemaId("AVRO", schema_id, str(guid)))
    return value, headers


def test_the_prefix_names_the_schema_id_and_the_body_follows_it() -> None:
    value, headers = write(SchemaIdFraming.PREFIX, BODY, schema_id=258)
    assert value[:5] == b"\x00\x00\x00\x01\x02"
    assert headers == [("event_id", b"e-1")]
    schema, body_start = read_framing(value, headers)
    assert (schema, body_start) == (258, 5)
    assert value[body_start:] == BODY


def test_the_header_names_the_guid_and_the_value_is_the_body_alone() -> None:
    value, headers = write(SchemaIdFraming.HEADER, BODY)
    assert value == BODY
    assert headers[-1] == (VALUE_SCHEMA_ID_HEADER, b"\x01" + GUID.bytes)
    assert read_framing(value, headers) == (GUID, 0)


def test_a_guid_prefix_is_read_too() -> None:
    value = b"\x01" + GUID.bytes + BODY
    assert read_framing(value, None) == (GUID, 17)


def test_a_header_holding_an_id_is_read_as_confluent_reads_it() -> None:
    headers = [(VALUE_SCHEMA_ID_HEADER, b"\x00\x00\x00\x00\x09")]
    assert read_framing(BODY, headers) == (9, 0)


def test_the_header_wins_over_a_prefix_and_the_first_header_over_later_ones() -> None:
    other = uuid.UUID(int=5)
    headers: Headers = [
        (VALUE_SCHEMA_ID_HEADER, b"\x01" + GUID.bytes),
        (VALUE_SCHEMA_ID_HEADER, b"\x01" + other.bytes),
    ]
    assert read_framing(b"\x00\x00\x00\x00\x07" + BODY, headers) == (GUID, 0)


def test_headers_as_a_mapping_are_read() -> None:
    headers = {VALUE_SCHEMA_ID_HEADER: b"\x01" + GUID.bytes}
    assert read_framing(BODY, headers) == (GUID, 0)


def test_a_header_without_a_value_counts_as_none_and_a_later_one_is_not_looked_at() -> None:
    value = b"\x00\x00\x00\x00\x04" + BODY
    headers = [(VALUE_SCHEMA_ID_HEADER, None), (VALUE_SCHEMA_ID_HEADER, b"\x01" + GUID.bytes)]
    assert read_framing(value, headers) == (4, 5)


def test_a_tuple_of_headers_is_read_as_a_list_is() -> None:
    headers = (("event_id", b"e-1"), (VALUE_SCHEMA_ID_HEADER, b"\x01" + GUID.bytes))
    assert read_framing(BODY, headers) == (GUID, 0)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (b"", "the value is empty"),
        (b"\x00\x00\x00\x01", "the value is too short for magic byte 0 and a schema id"),
        (b"\x01" + bytes(15), "the value is too short for magic byte 1 and a schema GUID"),
        (b"\x07random bytes", "the value starts with magic byte 7, not 0 or 1"),
    ],
)
def test_a_value_without_a_confluent_prefix_is_refused(value: bytes, message: str) -> None:
    with pytest.raises(FramingError, match=message):
        read_framing(value, [("event_id", b"e-1")])


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (b"", "is empty"),
        (b"\x02" + GUID.bytes, "starts with magic byte 2"),
        (b"\x01" + GUID.bytes[:15], "too short for magic byte 1 and a schema GUID"),
        (b"\x01" + GUID.bytes + b"\x00", "has 1 bytes too many"),
        ("text", "is not bytes"),
    ],
)
def test_a_malformed_schema_id_header_is_refused(header: str | bytes, message: str) -> None:
    # The value is a valid prefix: a broken header is not papered over by falling back to it.
    value = b"\x00\x00\x00\x00\x07" + BODY
    with pytest.raises(FramingError, match=f"header {VALUE_SCHEMA_ID_HEADER} .*{message}"):
        read_framing(value, [(VALUE_SCHEMA_ID_HEADER, header)])


@given(
    framing=st.sampled_from(SchemaIdFraming),
    schema_id=st.integers(0, 2**31 - 1),
    guid=st.uuids(),
    body=st.binary(max_size=40),
)
def test_every_framing_reads_as_confluents_dual_deserializer_reads_it(
    framing: SchemaIdFraming, schema_id: int, guid: uuid.UUID, body: bytes
) -> None:
    value, headers = write(framing, body, schema_id=schema_id, guid=guid)
    theirs = SchemaId("AVRO")
    rest: Any = dual_schema_id_deserializer(
        value, SerializationContext("events", MessageField.VALUE, headers), theirs
    )
    assert isinstance(rest, io.BytesIO)

    schema, body_start = read_framing(value, headers)

    assert schema == (theirs.id if theirs.guid is None else theirs.guid)
    assert value[body_start:] == rest.read() == body
