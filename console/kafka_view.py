"""What the console reads of Kafka, through the admin API: a topic's partitions with their
end offsets, and a consumer group's committed offsets. Reads only: metadata of every topic
(asking for one by name could create it on a broker that auto-creates), offsets, a group's
commits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

from console.errors import ConsoleError

# confluent_kafka's admin module has no annotations here; this says what is relied on.
_latest: Callable[[], OffsetSpec] = OffsetSpec.latest


class KafkaUnavailableError(ConsoleError):
    status = 502


@dataclass(frozen=True)
class PartitionLag:
    partition: int
    end_offset: int
    # None: the group has committed nothing for this partition.
    committed: int | None

    @property
    def lag(self) -> int | None:
        return None if self.committed is None else max(self.end_offset - self.committed, 0)


class KafkaView:
    def __init__(self, bootstrap_servers: str, *, timeout: float = 5.0) -> None:
        self._admin = AdminClient({"bootstrap.servers": bootstrap_servers})
        self._timeout = timeout

    def lag(self, topic: str, group: str) -> list[PartitionLag]:
        """Each partition of ``topic``: its end offset and ``group``'s committed offset;
        empty when the topic does not exist (yet)."""
        try:
            metadata = self._admin.list_topics(timeout=self._timeout)
            found = metadata.topics.get(topic)
            if found is None or found.error is not None:
                return []
            partitions = sorted(found.partitions)
            ends = self._admin.list_offsets(
                {TopicPartition(topic, number): _latest() for number in partitions},
                request_timeout=self._timeout,
            )
            end_offsets = {
                asked.partition: future.result().offset for asked, future in ends.items()
            }
            request = ConsumerGroupTopicPartitions(
                group, [TopicPartition(topic, number) for number in partitions]
            )
            committed_future = self._admin.list_consumer_group_offsets(
                [request], request_timeout=self._timeout
            )[group]
            committed = {
                part.partition: part.offset if part.offset >= 0 else None
                for part in committed_future.result().topic_partitions
            }
        except KafkaException as error:
            raise KafkaUnavailableError(f"Kafka did not answer: {error.args[0]}") from error
        return [
            PartitionLag(number, end_offsets[number], committed.get(number))
            for number in partitions
        ]
