"""`python -m stack tail-events`: follow the events topic, decoded through the registry.

One JSON line per record: partition, offset, key, timestamp, the writer schema its framing
names (`schema_id`, or `schema_guid` for a GUID) and the event as `AvroDeserializer` decodes it
with its writer schema. A record that does not decode is a line with its coordinates and the
error type, never its bytes. The consumer is assigned the partitions directly, with no group
and no commits: tailing moves nobody's offsets.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from contract.framing import FramingError, read_framing
from stack.errors import StackError

Echo = Callable[[str], None]
_POLL_SECONDS = 0.5
_METADATA_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class TailTarget:
    """Where the events are: the broker, the registry and the topic."""

    bootstrap: str
    # `confluent_kafka`'s SchemaRegistryClient settings: its URL, credentials, CA file.
    registry: Mapping[str, str]
    topic: str
    # librdkafka's connection settings (contract.kafka_client): security, SASL, SSL.
    kafka_connection: Mapping[str, str] = field(default_factory=dict)


def tail_events(
    target: TailTarget,
    echo: Echo,
    *,
    last: int = 10,
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    """Print the ``last`` records of each partition, then every new one until stopped.

    Raises:
        StackError: the broker does not answer.
    """
    consumer = Consumer(
        {
            "bootstrap.servers": target.bootstrap,
            # Required by librdkafka even without subscribe(); nothing is ever committed.
            "group.id": f"tail-events-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "enable.partition.eof": False,
            **target.kafka_connection,
        }
    )
    registry = SchemaRegistryClient(dict(target.registry))
    decoder = AvroDeserializer(registry)
    try:
        consumer.assign(_start_positions(consumer, target.topic, last, echo, should_stop))
        while not should_stop():
            message = consumer.poll(_POLL_SECONDS)
            if message is None:
                continue
            if message.error() is not None:
                echo(json.dumps({"error": str(message.error())}))
                continue
            echo(json.dumps(_record(message, decoder, target.topic), default=_json_value))
    finally:
        consumer.close()
        registry.close()


def _start_positions(
    consumer: Consumer, topic: str, last: int, echo: Echo, should_stop: Callable[[], bool]
) -> list[TopicPartition]:
    """Each partition at ``last`` records before its end; waits for the topic to exist."""
    announced = False
    while not should_stop():
        try:
            metadata = consumer.list_topics(topic, timeout=_METADATA_TIMEOUT_SECONDS)
        except KafkaException as error:
            raise StackError(f"the broker does not answer: {error}") from error
        partitions = metadata.topics[topic].partitions if topic in metadata.topics else {}
        if partitions and metadata.topics[topic].error is None:
            positions = []
            for partition in sorted(partitions):
                low, high = consumer.get_watermark_offsets(
                    TopicPartition(topic, partition), timeout=_METADATA_TIMEOUT_SECONDS
                )
                positions.append(TopicPartition(topic, partition, max(low, high - last)))
            return positions
        if not announced:
            echo(json.dumps({"waiting_for_topic": topic}))
            announced = True
        time.sleep(_POLL_SECONDS)
    return []


def _record(message: Message, decoder: AvroDeserializer, topic: str) -> dict[str, Any]:
    value = message.value()
    key = message.key()
    headers = message.headers()
    record: dict[str, Any] = {
        "partition": message.partition(),
        "offset": message.offset(),
        "key": key.decode(errors="replace") if key is not None else None,
        "timestamp_ms": message.timestamp()[1],
    }
    with suppress(FramingError):
        schema, _body_start = read_framing(value or b"", headers)
        if isinstance(schema, int):
            record["schema_id"] = schema
        else:
            record["schema_guid"] = str(schema)
    try:
        # The headers too: the schema's GUID may be in one.
        record["value"] = decoder(value, SerializationContext(topic, MessageField.VALUE, headers))
    except Exception as error:
        # Framing, an unknown schema id or GUID, bytes that do not decode: shown, and the
        # tail goes on. The type only: a decoder's message can quote the bytes.
        record["error"] = type(error).__name__
    return record


def _json_value(value: object) -> object:
    """JSON for what Avro logical types decode to."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
