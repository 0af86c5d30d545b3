"""A batch counts as acknowledged once a flush emptied the producer's queue, minus the records
the producer reported failed; a flush that times out marks nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from confluent_kafka import KafkaError, Message, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient

from contract.framing import SchemaIdFraming
from producer_api.outbox.claim import OutboxRow
from producer_api.relay.delivery import DeliveryFailures, RecordHeaders, Serializers, send_rows

Report = Callable[[KafkaError | None, Message], None]


class PlainSerializers(Serializers):
    """No registry: the event's id is the value."""

    def __init__(self) -> None:
        super().__init__(
            SchemaRegistryClient({"url": "http://127.0.0.1:9"}),
            Path("."),
            framing=SchemaIdFraming.PREFIX,
        )

    def serialize(
        self,
        subject: str,
        version: int,
        topic: str,
        event: dict[str, Any],
        headers: RecordHeaders,
    ) -> bytes:
        return str(event["id"]).encode()


class FailedRecord:
    def __init__(self, headers: list[tuple[str, bytes]]) -> None:
        self._headers = headers

    def headers(self) -> list[tuple[str, bytes]]:
        return self._headers


class ScriptedProducer:
    """Keeps what is produced; its flush reports the chosen records failed."""

    def __init__(self, report: Report, *, fail: set[str], unanswered: int = 0) -> None:
        self.report = report
        self.fail = fail
        self.unanswered = unanswered
        self.produced: list[tuple[str, bytes, bytes, list[tuple[str, bytes]]]] = []

    def produce(
        self, topic: str, *, key: bytes, value: bytes, headers: list[tuple[str, bytes]]
    ) -> None:
        self.produced.append((topic, key, value, headers))

    def flush(self, _timeout: float) -> int:
        for _topic, _key, _value, headers in self.produced:
            if headers[0][1].decode() in self.fail:
                error = KafkaError(KafkaError._MSG_TIMED_OUT)
                self.report(error, cast(Message, FailedRecord(headers)))
        return self.unanswered

    def poll(self, _timeout: float) -> int:
        return 0


def rows(count: int) -> list[OutboxRow]:
    return [
        (n, n % 16, f"event-{n}", "user-events", str(n), f'{{"id": {n}}}', "user-events-value", 2)
        for n in range(1, count + 1)
    ]


def send(producer: ScriptedProducer, failures: DeliveryFailures, batch: list[OutboxRow]) -> Any:
    return send_rows(batch, cast(Producer, producer), PlainSerializers(), failures, timeout=1.0)


def test_every_row_of_an_emptied_queue_is_acked_and_records_carry_key_and_event_id() -> None:
    failures = DeliveryFailures()
    producer = ScriptedProducer(failures.record, fail=set())
    delivery = send(producer, failures, rows(3))
    assert (delivery.acked, delivery.failure) == ([1, 2, 3], None)
    assert producer.produced[0] == ("user-events", b"1", b"1", [("event_id", b"event-1")])


def test_rows_reported_failed_stay_unsent_and_the_first_error_is_named() -> None:
    failures = DeliveryFailures()
    producer = ScriptedProducer(failures.record, fail={"event-2", "event-4"})
    delivery = send(producer, failures, rows(5))
    assert delivery.acked == [1, 3, 5]
    assert delivery.failure == "_MSG_TIMED_OUT"
    # Reports are taken with their batch: the next batch starts clean.
    assert failures.take() == (set(), None)


def test_a_flush_that_times_out_marks_nothing() -> None:
    failures = DeliveryFailures()
    producer = ScriptedProducer(failures.record, fail=set(), unanswered=2)
    delivery = send(producer, failures, rows(4))
    assert (delivery.acked, delivery.failure) == ([], "timed out waiting for acks")


def test_a_successful_report_is_not_a_failure() -> None:
    failures = DeliveryFailures()
    failures.record(None, cast(Message, FailedRecord([("event_id", b"x")])))
    assert failures.take() == (set(), None)
