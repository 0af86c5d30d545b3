"""What the lake benchmarks share: user events of the newest contract written to Kafka as the
relay writes them (Avro in Confluent's framing), and the catalog opened as the writer opens
it."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from confluent_kafka import Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from pydantic import SecretStr
from pyiceberg.catalog.sql import SqlCatalog

from bench.services import REPO_ROOT, BenchStack
from consumer.lake import open_catalog
from consumer.settings import ConsumerSettings
from contract.subjects import user_events_folder, value_subject

CONTRACT = user_events_folder(REPO_ROOT / "schemas")
SCHEMA_FILE = CONTRACT / "2.avsc"


def user_event(n: int, *, event_time: int) -> dict[str, Any]:
    """The ``n``-th user's event (its user id), at ``event_time`` (epoch ms)."""
    return {
        "event_id": str(uuid.uuid4()),
        "event_time": event_time,
        "user_id": n,
        "country_code": "BE",
        "created_at": 1_609_459_200_000,
        "is_a_dog": n % 2 == 0,
        "signup_channel": "api",
    }


class AvroTopicWriter:
    """Produces events to ``topic`` in Confluent's framing, its schema registered first.

    ``linger_ms`` 20 batches a backlog; 0 sends each event at once, for latencies.
    """

    def __init__(self, stack: BenchStack, topic: str, *, linger_ms: int = 20) -> None:
        self._client = SchemaRegistryClient({"url": stack.registry_url})
        text = SCHEMA_FILE.read_text()
        self._client.register_schema(value_subject(topic), Schema(text, "AVRO"))
        self._serializer = AvroSerializer(self._client, text, conf={"auto.register.schemas": False})
        self._context = SerializationContext(topic, MessageField.VALUE)
        self.producer = Producer(
            {
                "bootstrap.servers": stack.kafka_bootstrap,
                "linger.ms": linger_ms,
                "compression.type": "lz4",
                "queue.buffering.max.messages": 500_000,
            }
        )

    def serialize(self, event: dict[str, Any]) -> bytes:
        value = self._serializer(event, self._context)
        if not isinstance(value, bytes):
            raise TypeError("the serializer returned no bytes")
        return value

    def produce(self, topic: str, key: bytes, value: bytes, *, partition: int = -1) -> None:
        """One record to ``topic`` (this writer's or another; partition -1: by its key),
        waiting while the local queue is full."""
        while True:
            try:
                self.producer.produce(topic, key=key, value=value, partition=partition)
                break
            except BufferError:
                self.producer.poll(0.05)
        self.producer.poll(0)

    def close(self) -> None:
        self.producer.flush(120)
        self._client.close()


def bench_catalog(stack: BenchStack, warehouse: Path, schema: str) -> SqlCatalog:
    """The SQL catalog in the stack's PostgreSQL, schema ``schema``, as the writer opens it."""
    return open_catalog(
        ConsumerSettings(
            format="iceberg",
            output=str(warehouse),
            catalog_url=SecretStr(stack.database_url),
            catalog_schema=schema,
        )
    )


def table_rows(catalog: SqlCatalog, identifier: tuple[str, str]) -> int:
    """Rows in the table's current snapshot (0 before the first)."""
    snapshot = catalog.load_table(identifier).current_snapshot()
    summary = snapshot.summary if snapshot is not None else None
    return int(summary.get("total-records") or 0) if summary is not None else 0
