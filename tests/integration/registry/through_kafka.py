"""Records sent through the real broker and read back, for the serde round trips."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from confluent_kafka import Consumer, Message, Producer
from confluent_kafka.serialization import SerializationContext


def framed(
    serialize: Callable[[Any, SerializationContext], bytes | None],
    items: Sequence[Any],
    context: SerializationContext,
    schema_id: int,
) -> list[bytes]:
    """Each item serialized, checked to carry the magic byte and ``schema_id`` first."""
    values = []
    for item in items:
        value = serialize(item, context)
        assert value is not None and value[0] == 0
        assert int.from_bytes(value[1:5], "big") == schema_id
        values.append(value)
    return values


def through_kafka(
    kafka_bootstrap: str, topic: str, records: Sequence[tuple[bytes, bytes]]
) -> list[bytes]:
    """Produce ``records`` (key, value) to ``topic`` and answer the values read back (in
    order within a key)."""
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "enable.idempotence": True})
    for key, value in records:
        producer.produce(topic, key=key, value=value)
    assert producer.flush(30) == 0
    values = [message.value() for message in consume(kafka_bootstrap, topic, len(records))]
    return [value for value in values if value is not None]


def consume(bootstrap: str, topic: str, count: int, deadline: float = 60.0) -> list[Message]:
    """The first ``count`` messages of ``topic``, read by a new group from the start (polls
    may come back empty for a while: the group's coordinator may be moving)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"serde-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    messages: list[Message] = []
    ends = time.monotonic() + deadline
    try:
        while len(messages) < count and time.monotonic() < ends:
            message = consumer.poll(1.0)
            if message is not None:
                assert message.error() is None
                messages.append(message)
    finally:
        consumer.close()
    assert len(messages) == count, f"only {len(messages)} records arrived"
    return messages
