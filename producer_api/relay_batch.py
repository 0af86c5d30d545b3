"""One relay batch: claim unsent outbox rows, serialize, produce, mark what the broker acked."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from confluent_kafka import KafkaError, Message, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from producer_api.contract import EventContract
from producer_api.tables import BUCKETS

# Advisory lock keys of the buckets: _BUCKET_LOCK_BASE + bucket.
_BUCKET_LOCK_BASE = 0x0A91_1000

# Try-lock buckets in the given order and keep at most :limit of them, for this transaction
# only: the LIMIT stops the scan, so no more locks are taken than kept.
_LOCK_BUCKETS = sa.text(
    """
    SELECT bucket FROM unnest(CAST(:order AS int[])) AS bucket
    WHERE pg_try_advisory_xact_lock(:base + bucket)
    LIMIT :limit
    """
)

# Rows are claimed by their unsent state, never by an id high-water mark: a transaction that
# commits late with a lower id is picked up by the next batch like any other row.
_CLAIM = sa.text(
    """
    SELECT id, event_id, topic, message_key, payload, schema_subject, schema_version
    FROM outbox
    WHERE sent_at IS NULL AND bucket = ANY(CAST(:buckets AS int[]))
    ORDER BY id
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
    """
)

_MARK_SENT = sa.text("UPDATE outbox SET sent_at = now() WHERE id = ANY(CAST(:ids AS bigint[]))")


class SchemaNotRegisteredError(Exception):
    """The registry does not know the schema a row was validated against: stop, loudly."""


@dataclass(frozen=True)
class BatchResult:
    claimed: int
    sent: int
    # Why records went unacknowledged (None when every record was acked).
    failure: str | None = None


class Serializers:
    """One AvroSerializer per (subject, version), from the schema files the API validated with.

    Never auto-registers: a schema missing from the registry is an error to fix, not to paper
    over with a registration from a relay.
    """

    def __init__(self, client: SchemaRegistryClient, schema_folder: Path) -> None:
        self._client = client
        self._schema_folder = schema_folder
        self._serializers: dict[tuple[str, int], AvroSerializer] = {}

    def serialize(self, subject: str, version: int, topic: str, event: dict[str, Any]) -> bytes:
        serializer = self._serializers.get((subject, version))
        if serializer is None:
            contract = EventContract.from_folder(
                self._schema_folder, subject=subject, version=version
            )
            serializer = AvroSerializer(
                self._client,
                contract.text,
                conf={
                    "auto.register.schemas": False,
                    "subject.name.strategy": _fixed_subject(subject),
                },
            )
            self._serializers[(subject, version)] = serializer
        value = serializer(event, SerializationContext(topic, MessageField.VALUE))
        if value is None:
            raise ValueError("the serializer returned nothing for an event")
        return value


def _fixed_subject(subject: str) -> Callable[[Any, Any], str]:
    def strategy(_context: Any, _record_name: Any) -> str:
        return subject

    return strategy


def run_batch(
    connection: sa.Connection,
    producer: Producer,
    serializers: Serializers,
    *,
    batch_size: int,
    max_buckets: int,
    delivery_timeout: float,
) -> BatchResult:
    """One transaction: lock buckets, claim their oldest unsent rows, send, mark the acked.

    Rows whose records were not acknowledged stay unsent and go again in a later batch, so
    an outage delays events and never drops them; the price is a possible duplicate when an
    ack was lost after the broker stored the record, which consumers drop by event id.
    """
    order = list(range(BUCKETS))
    random.shuffle(order)
    buckets = list(
        connection.execute(
            _LOCK_BUCKETS, {"order": order, "base": _BUCKET_LOCK_BASE, "limit": max_buckets}
        ).scalars()
    )
    if not buckets:
        return BatchResult(claimed=0, sent=0)
    rows = connection.execute(_CLAIM, {"buckets": buckets, "limit": batch_size}).all()
    if not rows:
        return BatchResult(claimed=0, sent=0)
    acked: list[int] = []
    failures: list[KafkaError] = []

    def on_delivery(row_id: int) -> Callable[[KafkaError | None, Message], None]:
        def report(error: KafkaError | None, _message: Message) -> None:
            if error is None:
                acked.append(row_id)
            else:
                failures.append(error)

        return report

    for row in rows:
        payload = row.payload if isinstance(row.payload, dict) else json.loads(row.payload)
        value = serializers.serialize(row.schema_subject, row.schema_version, row.topic, payload)
        event_id = row.event_id if isinstance(row.event_id, uuid.UUID) else uuid.UUID(row.event_id)
        _produce(producer, row.topic, row.message_key, value, event_id, on_delivery(row.id))
    remaining = producer.flush(delivery_timeout)
    if acked:
        connection.execute(_MARK_SENT, {"ids": acked})
    failure = None
    if failures or remaining:
        failure = failures[0].name() if failures else "timed out waiting for acks"
    return BatchResult(claimed=len(rows), sent=len(acked), failure=failure)


def _produce(
    producer: Producer,
    topic: str,
    key: str,
    value: bytes,
    event_id: uuid.UUID,
    on_delivery: Callable[[KafkaError | None, Message], None],
) -> None:
    while True:
        try:
            producer.produce(
                topic,
                key=key.encode(),
                value=value,
                headers=[("event_id", str(event_id).encode())],
                on_delivery=on_delivery,
            )
            return
        except BufferError:
            # The local queue is full: let deliveries drain it, then try again.
            producer.poll(0.1)
