"""One relay batch: claim unsent outbox rows, serialize, produce, mark what the broker acked."""

from __future__ import annotations

import random
import time
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


class InFlight:
    """A batch's records handed to the producer, and what the broker has answered so far."""

    def __init__(self) -> None:
        self.count = 0
        self.acked: list[int] = []
        self.failures: list[KafkaError] = []

    def callback(self, row_id: int) -> Callable[[KafkaError | None, Message], None]:
        def report(error: KafkaError | None, _message: Message) -> None:
            if error is None:
                self.acked.append(row_id)
            else:
                self.failures.append(error)

        return report

    @property
    def answered(self) -> bool:
        return len(self.acked) + len(self.failures) >= self.count


def produce_rows(
    rows: list[OutboxRow], producer: Producer, serializers: Serializers, in_flight: InFlight
) -> None:
    """Serialize and produce the rows in order; the acks come later (see ``await_acks``)."""
    in_flight.count += len(rows)
    for row_id, _bucket, event_id, topic, key, payload, subject, version in rows:
        value = serializers.serialize(subject, version, topic, orjson.loads(payload))
        _produce(producer, topic, key, value, event_id, in_flight.callback(row_id))


def await_acks(in_flight: InFlight, producer: Producer, *, timeout: float) -> Delivery:
    """Serve delivery reports until every record of the batch is answered or time is up.

    Rows whose records were not acknowledged stay unsent and go again in a later batch, so
    an outage delays events and never drops them; the price is a possible duplicate when an
    ack was lost after the broker stored the record, which consumers drop by event id.
    """
    deadline = time.monotonic() + timeout
    producer.poll(0)
    while not in_flight.answered and time.monotonic() < deadline:
        producer.poll(0.01)
    failure = None
    if in_flight.failures:
        failure = in_flight.failures[0].name()
    elif not in_flight.answered:
        failure = "timed out waiting for acks"
    return Delivery(acked=in_flight.acked, failure=failure)


def mark_sent(connection: sa.Connection, ids: list[int]) -> None:
    if ids:
        # The commit need not wait for its WAL to reach disk: a mark lost to a power cut
        # only sends those rows again, and the lake drops the copies by event id.
        connection.execute(_ASYNC_COMMIT)
        connection.execute(_MARK_SENT, {"ids": "{" + ",".join(map(str, ids)) + "}"})


def _produce(
    producer: Producer,
    topic: str,
    key: str,
    value: bytes,
    event_id: str,
    on_delivery: Callable[[KafkaError | None, Message], None],
) -> None:
    while True:
        try:
            producer.produce(
                topic,
                key=key.encode(),
                value=value,
                headers=[("event_id", event_id.encode())],
                on_delivery=on_delivery,
            )
            return
        except BufferError:
            # The local queue is full: let deliveries drain it, then try again.
            producer.poll(0.1)
