"""What the console reads of Kafka: a topic's partitions with their end offsets (the admin
API), and a consumer group's committed offsets. Reads only: metadata of every topic (asking
for one by name could create it on a broker that auto-creates), offsets, a group's commits."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

from console.errors import ConsoleError
from contract.kafka_client import secured

# confluent_kafka's admin module has no annotations here; this says what is relied on.
_latest: Callable[[], OffsetSpec] = OffsetSpec.latest


class KafkaUnavailableError(ConsoleError):
    status = 502


def consumer_that_never_commits(bootstrap_servers: str, group: str) -> Consumer:
    """A consumer for reading alone: ``group`` is named (the client requires one, and a
    group's committed offsets are read through it) but never committed to."""
    return Consumer(
        secured(
            {
                "bootstrap.servers": bootstrap_servers,
                "group.id": group,
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
            }
        )
    )


@dataclass(frozen=True)
class PartitionLag:
    partition: int
    end_offset: int
    # None: the group has committed nothing for this partition.
    committed: int | None

    @property
    def lag(self) -> int | None:
        return None if self.committed is None else max(self.end_offset - self.committed, 0)


@dataclass(frozen=True)
class TopicLag:
    partitions: list[PartitionLag]
    # Why the committed offsets are unknown, when they are.
    problem: str | None = None


class KafkaView:
    def __init__(self, bootstrap_servers: str, *, timeout: float = 5.0) -> None:
        self._bootstrap = bootstrap_servers
        # Made at the first read: a console whose flow nobody opens holds no Kafka client.
        self._admin_client: AdminClient | None = None
        self._timeout = timeout
        self._lock = threading.Lock()
        self._readers: dict[str, Consumer] = {}

    def lag(self, topic: str, group: str) -> TopicLag:
        """Each partition of ``topic``: its end offset and ``group``'s committed offset;
        no partitions when the topic does not exist (yet). Committed offsets the broker
        cannot give now (its group coordinator still loading) are unknown, and said so."""
        try:
            admin = self._admin()
            metadata = admin.list_topics(timeout=self._timeout)
            found = metadata.topics.get(topic)
            if found is None or found.error is not None:
                return TopicLag([])
            partitions = [TopicPartition(topic, number) for number in sorted(found.partitions)]
            ends = admin.list_offsets(
                {partition: _latest() for partition in partitions},
                request_timeout=self._timeout,
            )
            end_offsets = {asked.partition: done.result().offset for asked, done in ends.items()}
        except KafkaException as error:
            raise KafkaUnavailableError(f"Kafka did not answer: {error.args[0]}") from error
        problem = None
        try:
            committed = {
                part.partition: part.offset if part.offset >= 0 else None
                for part in self._committed(group, partitions)
            }
        except KafkaException as error:
            committed = {}
            problem = f"Group {group}'s committed offsets are not readable now: {error.args[0]}"
        return TopicLag(
            [
                PartitionLag(
                    part.partition, end_offsets[part.partition], committed.get(part.partition)
                )
                for part in partitions
            ],
            problem,
        )

    def _admin(self) -> AdminClient:
        with self._lock:
            if self._admin_client is None:
                self._admin_client = AdminClient(secured({"bootstrap.servers": self._bootstrap}))
            # Its log lines (a refused password) come out when it is polled, and nothing
            # else polls it.
            self._admin_client.poll(0)
            return self._admin_client

    def close(self) -> None:
        with self._lock:
            readers, self._readers = list(self._readers.values()), {}
        for reader in readers:
            reader.close()

    def _committed(self, group: str, partitions: list[TopicPartition]) -> list[TopicPartition]:
        """The group's committed offsets, asked through a consumer of the group that never
        subscribes nor commits: the admin API's ListConsumerGroupOffsets crashes the process
        (a NULL group handle in librdkafka) when the broker answers NOT_COORDINATOR, as a
        fresh broker or an unseen group does (librdkafka#5040)."""
        with self._lock:
            reader = self._readers.get(group)
            if reader is None:
                reader = consumer_that_never_commits(self._bootstrap, group)
                self._readers[group] = reader
            found: list[TopicPartition] = reader.committed(partitions, timeout=self._timeout)
            reader.poll(0)  # serves its log lines: it consumes nothing
        return found
