"""JSON Schema through the unmodified confluent_kafka client, a real registry and broker."""

from __future__ import annotations

import json
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from tests.integration.registry.through_kafka import framed, through_kafka

V1: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "UserCreated",
    "type": "object",
    "properties": {
        "user_id": {"type": "integer"},
        "country_code": {"type": "string", "minLength": 2, "maxLength": 2},
    },
    "required": ["user_id", "country_code"],
    "additionalProperties": False,
}
# An optional property added to a closed model: every v1 record is a valid v2 record.
V2: dict[str, Any] = {
    **V1,
    "properties": {**V1["properties"], "is_a_dog": {"type": "boolean"}},
}
# The user id becomes a string: v3's reader cannot read v2's records.
V3: dict[str, Any] = {
    **V2,
    "properties": {**V2["properties"], "user_id": {"type": "string"}},
}


def json_schema(document: dict[str, Any], references: tuple[SchemaReference, ...] = ()) -> Schema:
    return Schema(json.dumps(document), "JSON", list(references))


def test_register_evolve_and_refuse_with_the_path(registry_url: str, subject: str) -> None:
    client = SchemaRegistryClient({"url": registry_url})
    try:
        first = client.register_schema(subject, json_schema(V1))
        second = client.register_schema(subject, json_schema(V2))
        assert second != first
        assert client.get_latest_version(subject).schema.schema_type == "JSON"
        with pytest.raises(SchemaRegistryError) as refused:
            client.register_schema(subject, json_schema(V3))
        assert refused.value.http_status_code == 409
        assert '{errorType:"TYPE_CHANGED", description:"A type at path ' in (
            refused.value.error_message
        )
        assert "'#/properties/user_id'" in refused.value.error_message
        # Dropping maxLength lets v3 read v2's records, not v2 read v3's.
        loosened = {**V2, "properties": {**V2["properties"], "country_code": {"type": "string"}}}
        client.set_compatibility(subject, "FORWARD")
        with pytest.raises(SchemaRegistryError) as forward:
            client.register_schema(subject, json_schema(loosened))
        assert "'#/properties/country_code/maxLength'" in forward.value.error_message
        assert client.lookup_schema(subject, json_schema(V2)).version == 2
        assert client.get_schema(first).schema_str == json.dumps(V1, separators=(",", ":"))
    finally:
        client.close()


def test_serde_roundtrip_through_kafka(registry_url: str, kafka_bootstrap: str, topic: str) -> None:
    client = SchemaRegistryClient({"url": registry_url})
    schema_id = client.register_schema(f"{topic}-value", json_schema(V2))
    serializer = JSONSerializer(json.dumps(V2), client, conf={"auto.register.schemas": False})
    deserializer = JSONDeserializer(None, schema_registry_client=client)
    events = [{"user_id": n, "country_code": "BE", "is_a_dog": n % 2 == 0} for n in range(20)]
    context = SerializationContext(topic, MessageField.VALUE)
    records = [
        (b"one key, one order", value) for value in framed(serializer, events, context, schema_id)
    ]
    try:
        values = through_kafka(kafka_bootstrap, topic, records)
        received = [deserializer(value, context) for value in values]
    finally:
        client.close()
    assert received == events


def test_a_reference_to_another_subject_resolves(
    registry_url: str, kafka_bootstrap: str, topic: str
) -> None:
    client = SchemaRegistryClient({"url": registry_url})
    address = {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    }
    address_subject = f"{topic}-address"
    client.register_schema(address_subject, json_schema(address))
    user = {
        "type": "object",
        "properties": {"user_id": {"type": "integer"}, "home": {"$ref": "address.json"}},
        "required": ["user_id", "home"],
    }
    reference = SchemaReference("address.json", address_subject, 1)
    try:
        schema_id = client.register_schema(f"{topic}-value", json_schema(user, (reference,)))
        stored = client.get_schema(schema_id)
        assert [r.name for r in stored.references or []] == ["address.json"]
        serializer = JSONSerializer(
            json_schema(user, (reference,)), client, conf={"auto.register.schemas": False}
        )
        deserializer = JSONDeserializer(None, schema_registry_client=client)
        context = SerializationContext(topic, MessageField.VALUE)
        record = {"user_id": 7, "home": {"city": "Ghent"}}
        assert deserializer(serializer(record, context), context) == record
        with pytest.raises(SchemaRegistryError) as missing:
            client.register_schema(
                f"{topic}-other-value",
                json_schema(user, (SchemaReference("address.json", address_subject, 9),)),
            )
        assert missing.value.error_code == 42201
    finally:
        client.close()
