"""The relay's Kafka side: serialize claimed rows, produce them, learn which were acked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka import KafkaError, Message, Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from contract.event_schema import EventContract
from contract.framing import SchemaIdFraming
from contract.kafka_client import secured
from producer_api.outbox.claim import OutboxRow
from producer_api.settings import RelaySettings

EVENT_ID_HEADER = "event_id"
# A record's headers as the producer and the serializers take them.
RecordHeaders = list[tuple[str, str | bytes | None]]


class SchemaNotRegisteredError(Exception):
    """The registry does not know the schema a row was validated against: stop, loudly."""


class SchemaGuidMissingError(Exception):
    """The header framing names schemas by GUID, and the registry gave none: stop, loudly."""


@dataclass(frozen=True)
class Delivery:
    acked: list[int]
    # Why records went unacknowledged (None when every record was acked).
    failure: str | None


class Serializers:
    """One AvroSerializer per (subject, version), from the schema files the API validated with.

    Never auto-registers: a schema missing from the registry is an error to fix, not to paper
    over with a registration from a relay. `framing` says where a record names its schema.
    """

    def __init__(
        self, client: SchemaRegistryClient, schema_folder: Path, *, framing: SchemaIdFraming
    ) -> None:
        self._client = client
        self._schema_folder = schema_folder
        self._framing = framing
        self._serializers: dict[tuple[str, int], AvroSerializer] = {}
        self._contexts: dict[str, SerializationContext] = {}

    def serialize(
        self,
        subject: str,
        version: int,
        topic: str,
        event: dict[str, Any],
        headers: RecordHeaders,
    ) -> bytes:
        """The event's value; the header framing adds the schema's header to ``headers``."""
        serializer = self._serializers.get((subject, version))
        if serializer is None:
            contract = EventContract.from_folder(
                self._schema_folder, subject=subject, version=version
            )
            if self._framing is SchemaIdFraming.HEADER:
                self._require_guid(subject, contract.text)
            serializer = AvroSerializer(
                self._client,
                contract.text,
                conf={
                    "auto.register.schemas": False,
                    "subject.name.strategy": _fixed_subject(subject),
                    "schema.id.serializer": self._framing.serializer(),
                },
            )
            self._serializers[(subject, version)] = serializer
        # The prefix touches no header: one context per topic spares an object per event.
        context = self._contexts.get(topic)
        if self._framing is SchemaIdFraming.HEADER:
            context = SerializationContext(topic, MessageField.VALUE, headers)
        elif context is None:
            context = self._contexts[topic] = SerializationContext(topic, MessageField.VALUE)
        value = serializer(event, context)
        if value is None:
            raise ValueError("the serializer returned nothing for an event")
        return value

    def _require_guid(self, subject: str, text: str) -> None:
        # Without this, a registry older than Confluent 8 fails every record with the
        # serializer's "Schema GUID is not set".
        registered = self._client.lookup_schema(subject, Schema(text, "AVRO"))
        if registered.guid is None:
            raise SchemaGuidMissingError(
                f"the registry gives version {registered.version} of {subject} no schema GUID, "
                "and RELAY_SCHEMA_ID_FRAMING=header names schemas by GUID: use a registry that "
                "gives GUIDs (Confluent 8's API) or RELAY_SCHEMA_ID_FRAMING=prefix"
            )


def _fixed_subject(subject: str) -> Callable[[Any, Any], str]:
    def strategy(_context: Any, _record_name: Any) -> str:
        return subject

    return strategy


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
            if name == EVENT_ID_HEADER and isinstance(value, bytes):
                self._event_ids.add(value.decode())

    def take(self) -> tuple[set[str], KafkaError | None]:
        """The event ids that failed since the last call, and the first error among them."""
        taken = self._event_ids, self._first
        self._event_ids, self._first = set(), None
        return taken


def producer_config(settings: RelaySettings, failures: DeliveryFailures) -> dict[str, Any]:
    """The relay's producer: idempotent, acks from all replicas, failures to ``failures``;
    connected as the environment says (contract.kafka_client)."""
    return secured(
        {
            "bootstrap.servers": settings.kafka_bootstrap_servers,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": settings.linger_ms,
            "queue.buffering.max.messages": max(100_000, settings.batch_size * 2),
            "compression.type": "lz4",
            "message.timeout.ms": settings.delivery_timeout_ms,
            "delivery.report.only.error": True,
            "on_delivery": failures.record,
            "log_level": 3,
        }
    )


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
        headers: RecordHeaders = [(EVENT_ID_HEADER, event_id.encode())]
        value = serializers.serialize(subject, version, topic, orjson.loads(payload), headers)
        produce_record(producer, topic, key, value, headers)
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


def produce_record(
    producer: Producer, topic: str, key: str, value: bytes, headers: RecordHeaders
) -> None:
    """One outbox record: the key, the Avro value and its headers (the event id, and the
    schema's GUID in the header framing)."""
    while True:
        try:
            producer.produce(topic, key=key.encode(), value=value, headers=headers)
            return
        except BufferError:
            # The local queue is full: let deliveries drain it, then try again.
            producer.poll(0.1)
