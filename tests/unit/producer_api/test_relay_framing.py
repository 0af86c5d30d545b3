"""The relay's two framings: the schema id before the value (the default), or the schema's GUID
in a `__value_schema_id` header beside the event id, the value being the Avro body alone."""

from __future__ import annotations

import uuid
from typing import Any, cast

import pytest
from confluent_kafka.schema_registry import RegisteredSchema, Schema, SchemaRegistryClient

from contract.framing import SchemaIdFraming, read_framing
from producer_api.relay.delivery import (
    EVENT_ID_HEADER,
    RecordHeaders,
    SchemaGuidMissingError,
    Serializers,
)
from tests.conftest import REPO_ROOT

SCHEMAS = REPO_ROOT / "schemas" / "user-events-value"
SUBJECT = "user-events-value"
GUID = uuid.UUID("9f0c3a52-4e1b-4d7a-8c33-2b6f1e0a9d47")
EVENT: dict[str, Any] = {
    "event_id": str(uuid.UUID(int=1)),
    "event_time": 1_795_600_000_000,
    "user_id": 42,
    "country_code": "BE",
    "created_at": 1_609_459_200_000,
    "is_a_dog": False,
    "signup_channel": "api",
}


class Registry:
    """Answers the serializer's lookup with id 3 and, when it has one, a GUID."""

    def __init__(self, guid: uuid.UUID | None) -> None:
        self.guid = guid

    def lookup_schema(self, subject: str, schema: Schema, **_options: Any) -> RegisteredSchema:
        guid = str(self.guid) if self.guid is not None else None
        return RegisteredSchema(schema_id=3, guid=guid, schema=schema, subject=subject, version=2)


def serialize(framing: SchemaIdFraming, guid: uuid.UUID | None = GUID) -> tuple[bytes, Any]:
    client = cast(SchemaRegistryClient, Registry(guid))
    headers: RecordHeaders = [(EVENT_ID_HEADER, b"e-1")]
    value = Serializers(client, SCHEMAS, framing=framing).serialize(
        SUBJECT, 2, "user-events", EVENT, headers
    )
    return value, headers


def test_the_prefix_puts_the_schema_id_before_the_value_and_adds_no_header() -> None:
    value, headers = serialize(SchemaIdFraming.PREFIX)
    assert value[:5] == b"\x00\x00\x00\x00\x03"
    assert headers == [(EVENT_ID_HEADER, b"e-1")]
    assert read_framing(value, headers) == (3, 5)


def test_the_header_names_the_guid_beside_the_event_id_and_the_value_is_the_body() -> None:
    prefixed, _ = serialize(SchemaIdFraming.PREFIX)
    value, headers = serialize(SchemaIdFraming.HEADER)
    assert headers == [(EVENT_ID_HEADER, b"e-1"), ("__value_schema_id", b"\x01" + GUID.bytes)]
    assert value == prefixed[5:]
    assert read_framing(value, headers) == (GUID, 0)


def test_the_header_framing_stops_when_the_registry_gives_no_guid() -> None:
    with pytest.raises(SchemaGuidMissingError, match="version 2 of user-events-value no schema"):
        serialize(SchemaIdFraming.HEADER, guid=None)
