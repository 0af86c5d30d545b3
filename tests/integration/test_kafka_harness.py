"""The session broker is a real Kafka: messages go through it and come back in order."""

from __future__ import annotations

import uuid

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

MESSAGES = 1_000


def _create_topic(bootstrap: str, name: str, partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(name, num_partitions=partitions)])
    futures[name].result(timeout=30)


def test_idempotent_producer_roundtrip_in_order(kafka_bootstrap: str, topic: str) -> None:
    _create_topic(kafka_bootstrap, topic, partitions=1)
    producer = Producer(
        {"bootstrap.servers": kafka_bootstrap, "enable.idempotence": True, "acks": "all"}
    )
    delivered: list[int] = []

    def on_delivery(error: object, message: object) -> None:
        assert error is None, error
        delivered.append(1)

    for number in range(MESSAGES):
        producer.produce(topic, key=b"k", value=str(number).encode(), on_delivery=on_delivery)
    assert producer.flush(30) == 0
    assert len(delivered) == MESSAGES

    consumer = Consumer(
        {
            "bootstrap.servers": kafka_bootstrap,
            "group.id": f"harness-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    received: list[int] = []
    try:
        while len(received) < MESSAGES:
            message = consumer.poll(10.0)
            assert message is not None, f"stopped after {len(received)} messages"
            assert message.error() is None, message.error()
            value = message.value()
            assert value is not None
            received.append(int(value))
        consumer.commit(asynchronous=False)
    finally:
        consumer.close()
    assert received == list(range(MESSAGES))


def test_broker_reports_itself_in_metadata(kafka_bootstrap: str) -> None:
    metadata = AdminClient({"bootstrap.servers": kafka_bootstrap}).list_topics(timeout=10)
    addresses = {f"{broker.host}:{broker.port}" for broker in metadata.brokers.values()}
    assert kafka_bootstrap in addresses
