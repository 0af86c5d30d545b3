"""The local stack's Kafka as a three-node KRaft cluster (`KAFKA_BROKERS=3`), from the same
jars: topics replicated three times, a write needing two in-sync replicas."""

from __future__ import annotations

import signal
import uuid
from collections.abc import Iterator

import pytest
from confluent_kafka import KafkaError, Producer
from confluent_kafka.admin import AdminClient, ConfigResource

from stack.kafka import KafkaService
from stack.ports import free_ports_in_a_row
from stack.runner import start_service
from stack.settings import StackSettings
from tests.conftest import ProcessDirs, shared_jar_dir
from tests.integration.registry.through_kafka import consume
from tests.registry_instances import started


@pytest.fixture(scope="module")
def cluster(process_dirs: ProcessDirs) -> Iterator[list[KafkaService]]:
    first = free_ports_in_a_row(6)
    settings = StackSettings(
        stack_dir=process_dirs.make("cluster"),
        kafka_port=first,
        kafka_controller_port=first + 1,
        kafka_brokers=3,
        kafka_jar_dir=shared_jar_dir(),
    )
    nodes = [KafkaService(settings, node=node) for node in range(3)]
    with started(nodes):
        yield nodes


def produce(bootstrap: str, topic: str, values: list[bytes], timeout: float = 30.0) -> list[str]:
    """Each value produced with acks=all; the error code of each that failed."""
    errors: list[str] = []
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "message.timeout.ms": int(timeout * 1000),
        }
    )

    def delivered(error: KafkaError | None, _message: object) -> None:
        if error is not None:
            errors.append(error.name())

    for value in values:
        producer.produce(topic, value=value, on_delivery=delivered)
    assert producer.flush(timeout + 10) == 0
    return errors


def test_a_topic_is_replicated_three_times_and_survives_one_node(
    cluster: list[KafkaService],
) -> None:
    bootstrap = cluster[0].settings.kafka_bootstrap
    topic = f"cluster-{uuid.uuid4().hex[:8]}"
    assert produce(bootstrap, topic, [b"first"]) == []
    admin = AdminClient({"bootstrap.servers": bootstrap})
    partition = admin.list_topics(topic, timeout=10).topics[topic].partitions[0]
    assert len(partition.replicas) == 3
    config = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, topic)])
    described = next(iter(config.values())).result(timeout=10)
    assert described["min.insync.replicas"].value == "2"

    # Any one node down (the partition's leader included): writes go on, nothing is lost.
    leader = next(node for node in cluster if node.node + 1 == partition.leader)
    leader.process.stop(timeout=0.1, stop_signal=signal.SIGKILL)
    try:
        assert produce(bootstrap, topic, [b"second", b"third"]) == []
        values = [message.value() for message in consume(bootstrap, topic, 3)]
        assert values == [b"first", b"second", b"third"]
    finally:
        start_service(leader, echo=lambda _line: None)


def test_two_nodes_down_refuse_writes_until_one_returns(cluster: list[KafkaService]) -> None:
    bootstrap = cluster[0].settings.kafka_bootstrap
    topic = f"cluster-{uuid.uuid4().hex[:8]}"
    assert produce(bootstrap, topic, [b"before"]) == []
    down = cluster[1:]
    for node in down:
        node.process.stop(timeout=0.1, stop_signal=signal.SIGKILL)
    try:
        # Not enough in-sync replicas (nor a quorum of controllers): nothing is
        # acknowledged, so a producer that keeps retrying loses nothing.
        assert produce(bootstrap, topic, [b"refused"], timeout=5.0) != []
    finally:
        for node in down:
            start_service(node, echo=lambda _line: None)
    assert produce(bootstrap, topic, [b"after"]) == []
