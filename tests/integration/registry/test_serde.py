"""confluent_kafka's Avro serde, default configuration, through a real broker and registry."""

from __future__ import annotations

import json
import uuid

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

from tests.integration.registry.through_kafka import framed, through_kafka

SCHEMA = {
    "type": "record",
    "name": "UserCreated",
    "namespace": "test.events",
    "fields": [
        {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "user_id", "type": "long"},
        {"name": "country_code", "type": "string"},
        {"name": "is_a_dog", "type": "boolean", "default": False},
    ],
}


def test_avro_roundtrip_through_kafka(registry_url: str, kafka_bootstrap: str, topic: str) -> None:
    client = SchemaRegistryClient({"url": registry_url})
    schema_id = client.register_schema(f"{topic}-value", Schema(json.dumps(SCHEMA), "AVRO"))
    serializer = AvroSerializer(client, json.dumps(SCHEMA), conf={"auto.register.schemas": False})
    deserializer = AvroDeserializer(client)
    events = [
        {"event_id": str(uuid.uuid4()), "user_id": n, "country_code": "BE", "is_a_dog": n % 2 == 0}
        for n in range(20)
    ]
    context = SerializationContext(topic, MessageField.VALUE)
    values = framed(serializer, events, context, schema_id)
    records = [
        (str(event["user_id"]).encode(), value) for event, value in zip(events, values, strict=True)
    ]
    try:
        values = through_kafka(kafka_bootstrap, topic, records)
        received = [deserializer(value, context) for value in values]
    finally:
        client.close()
    # The uuid logical type decodes to uuid.UUID.
    assert received == [
        {**event, "event_id": uuid.UUID(str(event["event_id"]))} for event in events
    ]


def test_serializer_without_registration_fails_clearly(registry_url: str, topic: str) -> None:
    client = SchemaRegistryClient({"url": registry_url})
    serializer = AvroSerializer(client, json.dumps(SCHEMA), conf={"auto.register.schemas": False})
    context = SerializationContext(topic, MessageField.VALUE)
    event = {"event_id": str(uuid.uuid4()), "user_id": 1, "country_code": "BE"}
    try:
        serializer(event, context)
    except SchemaRegistryError as error:
        assert (error.http_status_code, error.error_code) == (404, 40401)
    else:
        raise AssertionError("an unregistered schema must not serialize")
    finally:
        client.close()
