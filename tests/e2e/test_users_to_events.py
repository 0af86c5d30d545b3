"""Against `make up`: the original curl creates a user, and its event reaches the topic."""

from __future__ import annotations

import json
import os
import time
import uuid

import psycopg
import requests
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from stack.settings import StackSettings

SETTINGS = StackSettings()
API = os.environ.get("API_URL", f"http://127.0.0.1:{SETTINGS.api_port}")
REGISTRY = os.environ.get("REGISTRY_URL", f"http://127.0.0.1:{SETTINGS.registry_port}")
BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", SETTINGS.kafka_bootstrap)
TOPIC = SETTINGS.events_topic


def test_user_row_and_its_event() -> None:
    username = f"e2e-{uuid.uuid4().hex[:10]}"
    body = {"username": username, "country_code": "BE", "created_at": "2021-01-01 00:00:00"}
    answer = requests.post(
        f"{API}/users",
        data=json.dumps(body),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    user_id = answer.json()["id"]
    assert answer.headers["Location"] == f"/users/{user_id}"

    with psycopg.connect(SETTINGS.effective_database_url) as connection:
        row = connection.execute(
            "SELECT username, country_code, api_version FROM users WHERE id = %s", (user_id,)
        ).fetchone()
    assert row == (username, "BE", "0.0.1")

    event = _find_event(user_id)
    assert event["country_code"] == "BE"
    assert username not in json.dumps(event, default=str)


def _find_event(user_id: int) -> dict[str, object]:
    client = SchemaRegistryClient({"url": REGISTRY})
    deserializer = AvroDeserializer(client)
    consumer = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": f"e2e-{uuid.uuid4().hex}"})
    metadata = consumer.list_topics(TOPIC, timeout=10).topics[TOPIC]
    partitions = [TopicPartition(TOPIC, p, 0) for p in metadata.partitions]
    consumer.assign(partitions)
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is None or message.error() is not None:
                continue
            if message.key() != str(user_id).encode():
                continue
            event = deserializer(message.value(), SerializationContext(TOPIC, MessageField.VALUE))
            assert isinstance(event, dict)
            return event
    finally:
        consumer.close()
        client.close()
    raise AssertionError(f"no event for user {user_id} on {TOPIC} within 30 s")
