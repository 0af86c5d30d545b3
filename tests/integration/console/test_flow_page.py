"""The flow page against a real broker: a topic's end offsets and a group's lag per
partition, and services that do not answer named as such."""

from __future__ import annotations

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from console.settings import ConsoleSettings
from stack.ports import free_port
from tests.console_pages import ConsoleFactory

GROUP = "flow-page-test"


def _topic_with_records(bootstrap: str, topic: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=3)])[topic].result(timeout=30)
    producer = Producer({"bootstrap.servers": bootstrap})
    for partition, count in ((0, 5), (1, 3), (2, 0)):
        for number in range(count):
            producer.produce(topic, value=f"{number}".encode(), partition=partition)
    assert producer.flush(30) == 0


def _commit(bootstrap: str, group: str, offsets: list[TopicPartition]) -> None:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        consumer.commit(offsets=offsets, asynchronous=False)
    finally:
        consumer.close()


def test_the_flow_page_shows_each_partitions_lag_and_names_what_is_down(
    kafka_bootstrap: str, topic: str, make_console: ConsoleFactory
) -> None:
    _topic_with_records(kafka_bootstrap, topic)
    _commit(kafka_bootstrap, GROUP, [TopicPartition(topic, 0, 2)])
    nowhere = f"http://127.0.0.1:{free_port()}/metrics"
    settings = ConsoleSettings(
        kafka_bootstrap_servers=kafka_bootstrap,
        events_topic=topic,
        consumer_group=GROUP,
        api_metrics_url=nowhere,
        relay_metrics_url=nowhere,
        consumer_metrics_url=nowhere,
    )
    app = make_console(settings)
    view = app.extensions["console"].flow.read()
    assert [(p.partition, p.end_offset, p.committed, p.lag) for p in view.partitions] == [
        (0, 5, 2, 3),
        (1, 3, None, None),
        (2, 0, None, None),
    ]
    assert view.total_lag == 3
    assert len(view.unavailable) == 3

    page = app.test_client().get("/flow")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert '<td data-figure="lag-0">3</td>' in text
    assert f"does not answer on {nowhere}" in text
    fragment = app.test_client().get("/flow/figures")
    assert fragment.status_code == 200
    assert fragment.get_data(as_text=True).lstrip().startswith('<div id="figures"')


def test_a_topic_not_made_yet_is_not_made_by_the_page(
    kafka_bootstrap: str, topic: str, make_console: ConsoleFactory
) -> None:
    settings = ConsoleSettings(kafka_bootstrap_servers=kafka_bootstrap, events_topic=topic)
    app = make_console(settings)
    assert app.extensions["console"].flow.read().partitions == []
    topics = AdminClient({"bootstrap.servers": kafka_bootstrap}).list_topics(timeout=10).topics
    assert topic not in topics
