"""One relay batch: claim unsent outbox rows, serialize, produce, mark what the broker acked."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson
import psycopg
import sqlalchemy as sa
from confluent_kafka import KafkaError, Message, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from producer_api.contract import EventContract
from producer_api.settings import RelaySettings
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
# commits late with a lower id is picked up by the next batch like any other row. Each bucket
# is read on its own (a range of the partial index, oldest first), so a claim costs the same
# whatever the backlog; order matters only within a bucket, where a key's events all are.
#
# No FOR UPDATE: the bucket's advisory lock already makes its rows this transaction's alone.
# Only a relay holding a bucket's lock reads or marks its unsent rows (the cleanup deletes
# sent rows only). A lock is released after its holder's commit is visible, and under READ
# COMMITTED this statement's snapshot is taken after _LOCK_BUCKETS returned, so it sees every
# mark of the bucket's previous holder and never claims a row that holder sent. Row locks
# would add a heap write and a WAL record per row (a fifth of the claim's cost) for nothing.
#
# The payload comes as JSON text and the rows as the driver's plain tuples: the database
# thread holds the GIL while it builds rows, so the main thread parses each payload instead,
# just before serializing it.
_CLAIM = """
    SELECT claimed.id, claimed.bucket, claimed.event_id::text, claimed.topic,
           claimed.message_key, claimed.payload::text, claimed.schema_subject,
           claimed.schema_version
    FROM unnest(%(buckets)s::int[]) AS locked(bucket)
    CROSS JOIN LATERAL (
        SELECT id, bucket, event_id, topic, message_key, payload, schema_subject,
               schema_version
        FROM outbox
        WHERE sent_at IS NULL AND outbox.bucket = locked.bucket
        ORDER BY id + 0
        LIMIT %(per_bucket)s
    ) AS claimed
    ORDER BY claimed.bucket, claimed.id
"""

# The ids go as one array literal: the driver would adapt a list of ints one by one.
_ASYNC_COMMIT = sa.text("SET LOCAL synchronous_commit = off")
_MARK_SENT = sa.text("UPDATE outbox SET sent_at = now() WHERE id = ANY(CAST(:ids AS bigint[]))")


class SchemaNotRegisteredError(Exception):
    """The registry does not know the schema a row was validated against: stop, loudly."""


# A claimed row as the driver returns it: (id, bucket, event_id, topic, message_key,
# payload as JSON text, schema_subject, schema_version).
OutboxRow = tuple[int, int, str, str, str, str, str, int]


@dataclass(frozen=True)
class Claim:
    """Rows one transaction holds through its buckets' advisory locks."""

    rows: list[OutboxRow]
    # True when some bucket had more rows than this claim took from it.
    more: bool


@dataclass(frozen=True)
class Delivery:
    acked: list[int]
    # Why records went unacknowledged (None when every record was acked).
    failure: str | None


class Serializers:
    """One AvroSerializer per (subject, version), from the schema files the API validated with.

    Never auto-registers: a schema missing from the registry is an error to fix, not to paper
    over with a registration from a relay.
    """

    def __init__(self, client: SchemaRegistryClient, schema_folder: Path) -> None:
        self._client = client
        self._schema_folder = schema_folder
        self._serializers: dict[tuple[str, int], AvroSerializer] = {}
        self._contexts: dict[str, SerializationContext] = {}

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
        context = self._contexts.get(topic)
        if context is None:
            context = self._contexts[topic] = SerializationContext(topic, MessageField.VALUE)
        value = serializer(event, context)
        if value is None:
            raise ValueError("the serializer returned nothing for an event")
        return value


def _fixed_subject(subject: str) -> Callable[[Any, Any], str]:
    def strategy(_context: Any, _record_name: Any) -> str:
        return subject

    return strategy


def claim(connection: sa.Connection, *, batch_size: int, max_buckets: int) -> Claim:
    """Lock free buckets (in random order) and claim their oldest unsent rows."""
    order = list(range(BUCKETS))
    random.shuffle(order)
    buckets = list(
        connection.execute(
            _LOCK_BUCKETS, {"order": order, "base": _BUCKET_LOCK_BASE, "limit": max_buckets}
        ).scalars()
    )
    if not buckets:
        return Claim(rows=[], more=False)
    per_bucket = max(1, batch_size // len(buckets))
    # The hot read of the relay: straight from the driver, in the same transaction.
    driver = connection.connection.driver_connection
    if not isinstance(driver, psycopg.Connection):
        raise TypeError("the relay needs a psycopg connection")
    with driver.cursor() as cursor:
        cursor.execute(_CLAIM, {"buckets": buckets, "per_bucket": per_bucket})
        rows: list[OutboxRow] = cursor.fetchall()
    counts = Counter(map(itemgetter(1), rows))
    return Claim(rows=rows, more=any(count == per_bucket for count in counts.values()))


class DeliveryFailures:
    """The producer's delivery reports, which it sends for failed records only.

    A report per acknowledged record would cost a Python call per event, a fifth of the
    relay's own work. Failures are enough: once a flush has emptied the producer's queue,
    every record it held was either acknowledged or reported here.
    """

    def __init__(self) -> None:
        self._event_ids: set[str] = set()
        self._first: KafkaError | None = None

    def record(self, error: KafkaError | None, message: Message) -> None:
        """The producer's ``on_delivery`` callback."""
        if error is None:
            return
        if self._first is None:
            self._first = error
        headers = message.headers() or []
        for name, value in headers.items() if isinstance(headers, dict) else headers:
            if name == "event_id" and isinstance(value, bytes):
                self._event_ids.add(value.decode())

    def take(self) -> tuple[set[str], KafkaError | None]:
        """The event ids that failed since the last call, and the first error among them."""
        taken = self._event_ids, self._first
        self._event_ids, self._first = set(), None
        return taken


def producer_config(settings: RelaySettings) -> dict[str, Any]:
    """What the relay's producer and the benchmark's bare loop share."""
    return {
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": settings.linger_ms,
        "queue.buffering.max.messages": max(100_000, settings.batch_size * 2),
        "compression.type": "lz4",
    }


def send_rows(
    rows: list[OutboxRow],
    producer: Producer,
    serializers: Serializers,
    failures: DeliveryFailures,
    *,
    timeout: float,
) -> Delivery:
    """Serialize and produce the rows in order, then wait until the broker answered all.

    Rows whose records were not acknowledged stay unsent and go again in a later batch, so
    an outage delays events and never drops them; the price is a possible duplicate when an
    ack was lost after the broker stored the record, which consumers drop by event id.
    """
    for _row_id, _bucket, event_id, topic, key, payload, subject, version in rows:
        value = serializers.serialize(subject, version, topic, orjson.loads(payload))
        produce_record(producer, topic, key, value, event_id)
    unanswered = producer.flush(timeout)
    failed, error = failures.take()
    if unanswered:
        # Which records of the batch got through is unknown until they are answered.
        return Delivery(acked=[], failure="timed out waiting for acks")
    if not failed:
        return Delivery(acked=[row[0] for row in rows], failure=None)
    return Delivery(
        acked=[row[0] for row in rows if row[2] not in failed],
        failure=error.name() if error is not None else "delivery failed",
    )


def mark_sent(connection: sa.Connection, ids: list[int]) -> None:
    if ids:
        # The commit need not wait for its WAL to reach disk: a mark lost to a power cut
        # only sends those rows again, and the lake drops the copies by event id.
        connection.execute(_ASYNC_COMMIT)
        connection.execute(_MARK_SENT, {"ids": "{" + ",".join(map(str, ids)) + "}"})


def produce_record(producer: Producer, topic: str, key: str, value: bytes, event_id: str) -> None:
    """One outbox record: the key, the Avro value and the event id as a header."""
    while True:
        try:
            producer.produce(
                topic, key=key.encode(), value=value, headers=[("event_id", event_id.encode())]
            )
            return
        except BufferError:
            # The local queue is full: let deliveries drain it, then try again.
            producer.poll(0.1)
