"""confluent_kafka's Avro serde, default configuration, through a real broker and registry."""

from __future__ import annotations

import json
import uuid

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

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
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "enable.idempotence": True})
    for event in events:
        value = serializer(event, context)
        assert value is not None and value[0] == 0
        assert int.from_bytes(value[1:5], "big") == schema_id
        producer.produce(topic, key=str(event["user_id"]).encode(), value=value)
    assert producer.flush(30) == 0

    consumer = Consumer(
        {
            "bootstrap.servers": kafka_bootstrap,
            "group.id": f"serde-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    received: list[object] = []
    try:
        while len(received) < len(events):
            message = consumer.poll(10.0)
            assert message is not None, f"only {len(received)} records arrived"
            assert message.error() is None
            received.append(deserializer(message.value(), context))
    finally:
        consumer.close()
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
