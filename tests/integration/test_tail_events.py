"""`make tail-events` (stack/tail.py) against a real broker and registry."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from confluent_kafka import Producer
from confluent_kafka.schema_registry import (
    Schema,
    SchemaRegistryClient,
    header_schema_id_serializer,
)
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from stack.tail import TailTarget, tail_events

SCHEMA = (Path(__file__).resolve().parents[2] / "schemas/user-events-value/2.avsc").read_text()
WAIT_SECONDS = 30.0


def _event(user_id: int) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "event_time": 1_700_000_000_000,
        "user_id": user_id,
        "country_code": "BE",
        "created_at": 1_609_459_200_000,
        "is_a_dog": user_id % 2 == 0,
        "signup_channel": "api",
    }


def _produce(kafka_bootstrap: str, registry_url: str, topic: str, count: int) -> int:
    """``count`` events as the relay writes them, then one record without Avro framing."""
    client = SchemaRegistryClient({"url": registry_url})
    try:
        schema_id = client.register_schema(f"{topic}-value", Schema(SCHEMA, "AVRO"))
        serializer = AvroSerializer(client, SCHEMA, conf={"auto.register.schemas": False})
        context = SerializationContext(topic, MessageField.VALUE)
        values = [serializer(_event(user_id), context) for user_id in range(1, count + 1)]
    finally:
        client.close()
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    for user_id, value in enumerate(values, start=1):
        producer.produce(topic, key=str(user_id).encode(), value=value)
    producer.produce(topic, key=b"x", value=b"not avro")
    assert producer.flush(30) == 0
    return schema_id


def test_every_record_is_a_json_line_with_its_coordinates(
    kafka_bootstrap: str, registry_url: str, topic: str
) -> None:
    schema_id = _produce(kafka_bootstrap, registry_url, topic, count=3)
    lines: list[str] = []
    deadline = time.monotonic() + WAIT_SECONDS
    tail_events(
        TailTarget(bootstrap=kafka_bootstrap, registry={"url": registry_url}, topic=topic),
        lines.append,
        last=10,
        should_stop=lambda: len(lines) >= 4 or time.monotonic() > deadline,
    )
    records = [json.loads(line) for line in lines]
    assert [(r["partition"], r["offset"], r["key"]) for r in records] == [
        (0, 0, "1"),
        (0, 1, "2"),
        (0, 2, "3"),
        (0, 3, "x"),
    ]
    assert [r["value"]["user_id"] for r in records[:3]] == [1, 2, 3]
    assert {r["schema_id"] for r in records[:3]} == {schema_id}
    # Logical types as JSON: the uuid as text, timestamp-millis as ISO 8601 in UTC.
    assert records[0]["value"]["created_at"] == "2021-01-01T00:00:00+00:00"
    assert uuid.UUID(records[0]["value"]["event_id"])
    assert records[3]["error"] == "SerializationError"
    assert "value" not in records[3]


def test_a_record_framed_by_guid_prints_its_schema_guid(
    kafka_bootstrap: str, registry_url: str, topic: str
) -> None:
    client = SchemaRegistryClient({"url": registry_url})
    try:
        registered = client.register_schema_full_response(f"{topic}-value", Schema(SCHEMA, "AVRO"))
        assert registered.guid is not None, "the registry gave the schema no GUID"
        serializer = AvroSerializer(
            client,
            SCHEMA,
            conf={
                "auto.register.schemas": False,
                "schema.id.serializer": header_schema_id_serializer,
            },
        )
        headers: list[tuple[str, str | bytes | None]] = []
        value = serializer(_event(7), SerializationContext(topic, MessageField.VALUE, headers))
    finally:
        client.close()
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    producer.produce(topic, key=b"7", value=value, headers=headers)
    assert producer.flush(30) == 0
    lines: list[str] = []
    deadline = time.monotonic() + WAIT_SECONDS
    tail_events(
        TailTarget(bootstrap=kafka_bootstrap, registry={"url": registry_url}, topic=topic),
        lines.append,
        should_stop=lambda: bool(lines) or time.monotonic() > deadline,
    )
    (record,) = [json.loads(line) for line in lines]
    assert record["schema_guid"] == registered.guid
    assert "schema_id" not in record
    assert record["value"]["user_id"] == 7


def test_last_limits_the_backlog_shown(kafka_bootstrap: str, registry_url: str, topic: str) -> None:
    _produce(kafka_bootstrap, registry_url, topic, count=5)
    lines: list[str] = []
    started = time.monotonic()
    tail_events(
        TailTarget(bootstrap=kafka_bootstrap, registry={"url": registry_url}, topic=topic),
        lines.append,
        last=2,
        # Long enough for more records to show, were the start position wrong.
        should_stop=lambda: time.monotonic() - started > 5.0,
    )
    assert [json.loads(line)["offset"] for line in lines] == [4, 5]


def test_the_command_prints_lines_and_stops_cleanly_on_ctrl_c(
    kafka_bootstrap: str, registry_url: str, topic: str
) -> None:
    _produce(kafka_bootstrap, registry_url, topic, count=1)
    environment = {
        **os.environ,
        "KAFKA_PORT": kafka_bootstrap.rsplit(":", 1)[1],
        "REGISTRY_PORT": str(urlsplit(registry_url).port),
        "EVENTS_TOPIC": topic,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "stack", "tail-events"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = json.loads(process.stdout.readline())
        assert (first["offset"], first["value"]["user_id"]) == (0, 1)
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=15)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0, errors
    assert "Traceback" not in errors
