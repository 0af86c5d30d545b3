"""What the lake writer's integration tests share: events, producing them, running a writer."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from pyiceberg.table import Table

from consumer.maintenance import MaintenanceReport, maintain
from consumer.runner import LakeWriter
from consumer.settings import ConsumerSettings
from tests.conftest import REPO_ROOT
from tests.lake import rows_in

CONTRACT = REPO_ROOT / "schemas" / "user-events-value"
EVENTS = 10_000


def make_event(n: int, version: int) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "event_time": 1_795_600_000_000 + n,
        "user_id": n,
        "country_code": "BE",
        "created_at": 1_609_459_200_000,
        "is_a_dog": n % 2 == 0,
    }
    if version == 2:
        event["signup_channel"] = "web"
    return event


def produce_mixed(bootstrap: str, registry_url: str, topic: str) -> dict[str, int]:
    """EVENTS events from v1 and v2 writers, interleaved; returns event id → version."""
    client = SchemaRegistryClient({"url": registry_url})
    client.set_compatibility(f"{topic}-value", "FULL_TRANSITIVE")
    serializers = {}
    for version in (1, 2):
        text = (CONTRACT / f"{version}.avsc").read_text()
        client.register_schema(f"{topic}-value", Schema(text, "AVRO"))
        serializers[version] = AvroSerializer(client, text, conf={"auto.register.schemas": False})
    context = SerializationContext(topic, MessageField.VALUE)
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    versions: dict[str, int] = {}
    for n in range(EVENTS):
        version = 1 if n % 3 == 0 else 2
        event = make_event(n, version)
        producer.produce(topic, key=str(n).encode(), value=serializers[version](event, context))
        versions[event["event_id"]] = version
    assert producer.flush(30) == 0
    client.close()
    return versions


def produce_bad(bootstrap: str, registry_url: str, topic: str) -> None:
    """A record of random bytes, and one written with a schema the reader cannot read."""
    client = SchemaRegistryClient({"url": registry_url})
    other = f"incompatible-{topic}"
    client.set_compatibility(other, "NONE")
    breaking = {
        "type": "record",
        "name": "UserCreated",
        "namespace": "eventplatform.users",
        "fields": [{"name": "event_id", "type": "long"}],
    }
    schema_id = client.register_schema(other, Schema(json.dumps(breaking), "AVRO"))
    client.close()
    incompatible = b"\x00" + schema_id.to_bytes(4, "big") + b"\x02"
    producer = Producer({"bootstrap.servers": bootstrap})
    producer.produce(topic, key=b"bad-1", value=b"\x07random bytes, no framing")
    producer.produce(topic, key=b"bad-2", value=incompatible)
    assert producer.flush(30) == 0


def dead_letters(bootstrap: str, topic: str, expected: int) -> list[dict[str, bytes]]:
    """The headers of the first ``expected`` records of the topic's dead-letter topic."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"dlq-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([f"{topic}.dlq"])
    found: list[dict[str, bytes]] = []
    deadline = time.monotonic() + 30
    try:
        while len(found) < expected and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error() is not None:
                continue
            raw = message.headers() or []
            pairs = list(raw.items()) if isinstance(raw, dict) else list(raw)
            found.append(
                {k: v.encode() if isinstance(v, str) else bytes(v or b"") for k, v in pairs}
            )
    finally:
        consumer.close()
    return found


def maintain_now(table: Table, topic: str) -> MaintenanceReport:
    """Maintenance with nothing kept for age: every snapshot but the newest expires, and
    every file nothing references goes."""
    return maintain(
        table,
        topic,
        target_bytes=64 * 1024 * 1024,
        snapshot_retention=timedelta(0),
        orphan_age=timedelta(0),
    )


def settings_for(
    bootstrap: str, registry_url: str, topic: str, lake: Path, **overrides: Any
) -> ConsumerSettings:
    return ConsumerSettings.model_validate(
        {
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "REGISTRY_URL": registry_url,
            "EVENTS_TOPIC": topic,
            "reader_schema": CONTRACT / "2.avsc",
            "output": str(lake),
            # Files unless a test names the table: most tests here read the files' names.
            "format": "parquet",
            "group_id": f"lake-{uuid.uuid4().hex}",
            "max_age_seconds": 1.0,
            "metrics_port": 0,
            **overrides,
        }
    )


def land_versions(
    bootstrap: str, registry_url: str, topic: str, lake: Path, versions: dict[str, int]
) -> list[dict[str, Any]]:
    """Run a lake writer until every event of ``versions`` (event id → writer version) is a
    row, and check each landed once, v1 events with v2's default channel; the rows."""
    settings = settings_for(bootstrap, registry_url, topic, lake)
    run_until(settings, lambda _writer: len(rows_in(lake, topic)) >= len(versions), 60)
    rows = rows_in(lake, topic)
    assert sorted(row["event_id"] for row in rows) == sorted(versions)
    for row in rows:
        expected_channel = "api" if versions[row["event_id"]] == 1 else "web"
        assert row["signup_channel"] == expected_channel  # v1 events get v2's default
    return rows


def run_until(
    settings: ConsumerSettings, done: Callable[[LakeWriter], bool], timeout: float
) -> None:
    """Run a lake writer in a thread until ``done(writer)`` or ``timeout``, then stop it."""
    writer = LakeWriter(settings)
    stop = threading.Event()
    thread = threading.Thread(target=writer.run, args=(stop.is_set,), daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not done(writer) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(30)


@contextmanager
def v2_topic(
    bootstrap: str, registry_url: str, topic: str, partitions: int
) -> Iterator[Callable[[dict[str, Any]], bytes]]:
    """Create `topic` with v2 of the contract registered; yields a v2 value serializer."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=partitions)])[topic].result(timeout=30)
    client = SchemaRegistryClient({"url": registry_url})
    text = (CONTRACT / "2.avsc").read_text()
    client.register_schema(f"{topic}-value", Schema(text, "AVRO"))
    serializer = AvroSerializer(client, text, conf={"auto.register.schemas": False})
    context = SerializationContext(topic, MessageField.VALUE)

    def serialize(event: dict[str, Any]) -> bytes:
        value = serializer(event, context)
        assert isinstance(value, bytes)
        return value

    try:
        yield serialize
    finally:
        client.close()
