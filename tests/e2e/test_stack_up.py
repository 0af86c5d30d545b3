"""Against a platform started by `make up`: the printed addresses really serve."""

from __future__ import annotations

import os
import uuid

import psycopg
from confluent_kafka import Consumer, Producer

from stack.postgres import PostgresService
from stack.settings import StackSettings

SETTINGS = StackSettings()
BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", SETTINGS.kafka_bootstrap)
DATABASE_URL = SETTINGS.database_url or PostgresService(SETTINGS).database_url()


def test_message_roundtrip_through_the_stack_broker() -> None:
    topic = f"e2e-{uuid.uuid4().hex[:8]}"
    producer = Producer({"bootstrap.servers": BOOTSTRAP, "enable.idempotence": True})
    producer.produce(topic, key=b"k", value=b"hello")
    assert producer.flush(30) == 0
    consumer = Consumer(
        {
            "bootstrap.servers": BOOTSTRAP,
            "group.id": topic,
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    try:
        message = consumer.poll(30.0)
    finally:
        consumer.close()
    assert message is not None and message.error() is None
    assert message.value() == b"hello"


def test_stack_database_accepts_connections() -> None:
    with psycopg.connect(DATABASE_URL) as connection:
        row = connection.execute("SELECT current_database()").fetchone()
    assert row is not None and row[0] == DATABASE_URL.rsplit("/", 1)[-1]
