"""The dead-letter topic: what the consumer cannot read, kept with why and where from."""

from __future__ import annotations

from collections.abc import Callable

from confluent_kafka import KafkaError, Message, Producer

from consumer.decode import Reason
from contract.dead_letters import (
    HEADER_ERROR,
    HEADER_OFFSET,
    HEADER_PARTITION,
    HEADER_REASON,
    HEADER_TOPIC,
)


class DeadLetterError(Exception):
    """The dead-letter topic did not take a record: its offset must not be committed."""


class DeadLetters:
    def __init__(self, producer: Producer, topic: str) -> None:
        self._producer = producer
        self.topic = topic
        self._failures: list[KafkaError] = []

    def send(self, message: Message, reason: Reason, detail: str) -> None:
        """Copy the record (key, value, headers) with the reason headers added."""
        headers: list[tuple[str, str | bytes | None]] = list(_headers(message))
        headers += [
            (HEADER_REASON, reason.value.encode()),
            (HEADER_ERROR, detail.encode()),
            (HEADER_TOPIC, (message.topic() or "").encode()),
            (HEADER_PARTITION, str(message.partition()).encode()),
            (HEADER_OFFSET, str(message.offset()).encode()),
        ]
        self._producer.produce(
            self.topic,
            key=message.key(),
            value=message.value(),
            headers=headers,
            on_delivery=self._on_delivery,
        )

    def flush(self, timeout: float) -> None:
        """Wait until every dead letter is stored; raise if one was not."""
        remaining = self._producer.flush(timeout)
        failures, self._failures = self._failures, []
        if remaining or failures:
            reason = failures[0].name() if failures else "timed out"
            raise DeadLetterError(
                f"dead-letter topic {self.topic!r} did not take a record: {reason}"
            )

    @property
    def _on_delivery(self) -> Callable[[KafkaError | None, Message], None]:
        def report(error: KafkaError | None, _message: Message) -> None:
            if error is not None:
                self._failures.append(error)

        return report


def _headers(message: Message) -> list[tuple[str, bytes]]:
    raw = message.headers() or []
    pairs = list(raw.items()) if isinstance(raw, dict) else list(raw)
    return [
        (name, value.encode() if isinstance(value, str) else bytes(value or b""))
        for name, value in pairs
    ]
