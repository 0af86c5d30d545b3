"""The dead-letter topic's records, newest first, a page at a time: why each was refused,
where it came from, which writer schema it names, and its size. Never its key or value:
a refused record may hold any field of any schema, personal ones included.

Read with one consumer, kept for the console's life, that assigns itself the partitions'
tails and never commits (no group is joined, nothing is written); one page is read at a time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

from console.kafka_view import KafkaUnavailableError, consumer_that_never_commits
from contract import dead_letters
from contract.framing import FramingError, read_framing

PAGE_SIZE = 20
# Pages past this many records are not offered: each page reads the partitions' tails.
MOST_RECORDS = 2_000
_POLL_SECONDS = 0.2
_GROUP = "console-dead-letters"


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    timestamp_ms: int | None
    reason: str
    error: str
    source: str
    writer_schema: str
    value_bytes: int


@dataclass(frozen=True)
class DeadLetterPage:
    topic: str
    number: int
    records: list[DeadLetter]
    total: int

    @property
    def has_next(self) -> bool:
        shown_so_far = self.number * PAGE_SIZE
        return shown_so_far < min(self.total, MOST_RECORDS)


class DeadLetterReader:
    def __init__(self, bootstrap_servers: str, topic: str, *, timeout: float = 5.0) -> None:
        self._bootstrap = bootstrap_servers
        self.topic = topic
        self._timeout = timeout
        self._lock = threading.Lock()
        self._consumer: Consumer | None = None

    def page(self, number: int) -> DeadLetterPage:
        """Page ``number`` (from 1) of the records, newest first."""
        wanted = min(number * PAGE_SIZE, MOST_RECORDS)
        with self._lock:
            if self._consumer is None:
                # Its group is never joined: the partitions are assigned.
                self._consumer = consumer_that_never_commits(self._bootstrap, _GROUP)
            consumer = self._consumer
            try:
                tails, total = self._tails(consumer, wanted)
                records = _read(consumer, self.topic, tails, self._timeout) if tails else []
            except KafkaException as error:
                # A consumer in doubt is not kept: the next page starts a new one.
                self._consumer = None
                consumer.close()
                raise KafkaUnavailableError(f"Kafka did not answer: {error.args[0]}") from error
            finally:
                if self._consumer is not None:
                    consumer.unassign()
        records.sort(key=lambda r: (r.timestamp_ms or 0, r.partition, r.offset), reverse=True)
        start = (number - 1) * PAGE_SIZE
        return DeadLetterPage(self.topic, number, records[start : start + PAGE_SIZE], total)

    def close(self) -> None:
        with self._lock:
            consumer, self._consumer = self._consumer, None
        if consumer is not None:
            consumer.close()

    def _tails(self, consumer: Consumer, wanted: int) -> tuple[dict[int, tuple[int, int]], int]:
        """Per partition with records, the first offset to read and the end; and how many
        records the topic holds."""
        topic = consumer.list_topics(timeout=self._timeout).topics.get(self.topic)
        if topic is None or topic.error is not None:
            return {}, 0
        tails: dict[int, tuple[int, int]] = {}
        total = 0
        for number in sorted(topic.partitions):
            low, high = consumer.get_watermark_offsets(
                TopicPartition(self.topic, number), timeout=self._timeout
            )
            total += high - low
            if high > low:
                tails[number] = (max(low, high - wanted), high)
        return tails, total


def _read(
    consumer: Consumer, topic: str, tails: dict[int, tuple[int, int]], timeout: float
) -> list[DeadLetter]:
    """Every record from each partition's first offset to its end (or until ``timeout``
    passes with nothing new)."""
    found: list[DeadLetter] = []
    remaining = {number: end for number, (_start, end) in tails.items()}
    consumer.assign(
        [TopicPartition(topic, number, first) for number, (first, _end) in tails.items()]
    )
    idle_polls = max(1, int(timeout / _POLL_SECONDS))
    while remaining and idle_polls > 0:
        messages = consumer.consume(500, timeout=_POLL_SECONDS)
        if not messages:
            idle_polls -= 1
        for message in messages:
            if message.error() is not None:
                continue
            found.append(_dead_letter(message))
            number, offset = message.partition() or 0, message.offset() or 0
            if offset + 1 >= remaining.get(number, 0):
                remaining.pop(number, None)
    return found


def _dead_letter(message: Message) -> DeadLetter:
    given = message.headers() or []
    headers = dict(given.items()) if isinstance(given, dict) else dict(given)

    def text(name: str) -> str:
        value = headers.get(name)
        return value.decode(errors="replace") if isinstance(value, bytes) else ""

    value = message.value() or b""
    try:
        schema, _start = read_framing(value, given)
        writer = f"id {schema}" if isinstance(schema, int) else f"guid {schema}"
    except FramingError:
        writer = "none readable"
    _kind, timestamp = message.timestamp()
    return DeadLetter(
        partition=message.partition() or 0,
        offset=message.offset() or 0,
        timestamp_ms=timestamp if timestamp > 0 else None,
        reason=text(dead_letters.HEADER_REASON),
        error=text(dead_letters.HEADER_ERROR),
        source=(
            f"{text(dead_letters.HEADER_TOPIC)} [{text(dead_letters.HEADER_PARTITION)}] "
            f"@ {text(dead_letters.HEADER_OFFSET)}"
        ),
        writer_schema=writer,
        value_bytes=len(value),
    )
