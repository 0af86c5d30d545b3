"""The lake writer against a real broker and registry: every event once, bad ones aside."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from consumer.runner import LakeWriter
from consumer.settings import ConsumerSettings
from tests.conftest import REPO_ROOT, start_sqlite_registry

CONTRACT = REPO_ROOT / "schemas" / "user-events-value"
EVENTS = 2_000


@pytest.fixture(scope="module")
def lake_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = start_sqlite_registry(tmp_path_factory.mktemp("lake-registry"))
    yield app.url
    app.process.stop(timeout=20.0)


def _event(n: int, version: int) -> dict[str, Any]:
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


def _produce_mixed(bootstrap: str, registry_url: str, topic: str) -> dict[str, int]:
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
        event = _event(n, version)
        producer.produce(topic, key=str(n).encode(), value=serializers[version](event, context))
        versions[event["event_id"]] = version
    assert producer.flush(30) == 0
    client.close()
    return versions


def _produce_bad(bootstrap: str, registry_url: str, topic: str) -> None:
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


def _rows(lake: Path, topic: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in sorted((lake / topic).glob("event_date=*/part-*.parquet")):
        rows += pq.read_table(path).to_pylist()
    return rows


def _dead_letters(bootstrap: str, topic: str, expected: int) -> list[dict[str, bytes]]:
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


def test_mixed_writers_land_once_and_bad_records_go_to_the_dead_letter_topic(
    kafka_bootstrap: str, lake_registry: str, topic: str, tmp_path: Path
) -> None:
    versions = _produce_mixed(kafka_bootstrap, lake_registry, topic)
    _produce_bad(kafka_bootstrap, lake_registry, topic)
    lake = tmp_path / "lake"
    settings = ConsumerSettings.model_validate(
        {
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "REGISTRY_URL": lake_registry,
            "EVENTS_TOPIC": topic,
            "reader_schema": CONTRACT / "2.avsc",
            "output": str(lake),
            "group_id": f"lake-{uuid.uuid4().hex}",
            "max_age_seconds": 1.0,
            "metrics_port": 0,
        }
    )
    writer = LakeWriter(settings)
    stop = threading.Event()
    thread = threading.Thread(target=writer.run, args=(stop.is_set,), daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while len(_rows(lake, topic)) < EVENTS and time.monotonic() < deadline:
        time.sleep(0.5)
    stop.set()
    thread.join(30)

    rows = _rows(lake, topic)
    assert sorted(row["event_id"] for row in rows) == sorted(versions)
    for row in rows:
        expected_channel = "api" if versions[row["event_id"]] == 1 else "web"
        assert row["signup_channel"] == expected_channel  # v1 events get v2's default
    letters = _dead_letters(kafka_bootstrap, topic, 2)
    assert sorted(letter["dlq.reason"] for letter in letters) == [
        b"incompatible_schema",
        b"undecodable",
    ]
    assert {letter["dlq.source.topic"] for letter in letters} == {topic.encode()}
