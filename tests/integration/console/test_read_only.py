"""With write access off (the default), no request the console serves changes the registry
or Kafka: every route, with every method it takes, is tried with a form that would register
a new version, and the registry's and the broker's state is the same after."""

from __future__ import annotations

import json
from typing import Any

import requests
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from console.app import create_app
from console.settings import ConsoleSettings
from tests.console_pages import EVENT_SCHEMAS, register


def _registry_state(registry_url: str) -> dict[str, Any]:
    state: dict[str, Any] = {"config": requests.get(f"{registry_url}/config", timeout=10).json()}
    for subject in requests.get(f"{registry_url}/subjects", timeout=10).json():
        versions = requests.get(f"{registry_url}/subjects/{subject}/versions", timeout=10).json()
        mode = requests.get(f"{registry_url}/mode/{subject}", timeout=10).json()
        state[subject] = (versions, mode)
    state["schemas"] = requests.get(f"{registry_url}/schemas", timeout=10).json()
    return state


def _kafka_state(bootstrap: str, topic: str) -> dict[str, Any]:
    """The broker's topics and groups, and the console's topic's end offsets."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    topics = admin.list_topics(timeout=10).topics
    listed = admin.list_consumer_groups(request_timeout=10).result()
    groups = sorted(str(group.group_id) for group in listed.valid)
    probe = Consumer({"bootstrap.servers": bootstrap, "group.id": "read-only-probe"})
    try:
        ends = [
            probe.get_watermark_offsets(TopicPartition(topic, number), timeout=10)[1]
            for number in sorted(topics[topic].partitions)
        ]
    finally:
        probe.close()
    # The broker makes its own __consumer_offsets at the first group lookup, whoever asks
    # (reading a group's offsets is one): internal topics are the broker's, not a change.
    own = sorted(name for name in topics if not name.startswith("__"))
    return {"topics": own, "groups": groups, "ends": ends}


def test_no_route_changes_anything_with_write_access_off(
    registry_url: str, kafka_bootstrap: str, subject: str, topic: str
) -> None:
    register(registry_url, subject, (EVENT_SCHEMAS / "1.avsc").read_text())
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=2)])[topic].result(timeout=30)
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    producer.produce(topic, value=b"an event")
    assert producer.flush(30) == 0
    newer = json.loads((EVENT_SCHEMAS / "2.avsc").read_text())
    settings = ConsoleSettings(
        registry_url=registry_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        events_topic=topic,
    )
    app = create_app(settings)
    client = app.test_client()
    form = {"name": subject, "schema": json.dumps(newer), "from": "1", "to": "1"}
    before = (_registry_state(registry_url), _kafka_state(kafka_bootstrap, topic))

    tried = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            answer = client.open(rule.rule, method=method, query_string=form, data=form)
            tried.append((method, rule.rule, answer.status_code))
            assert answer.status_code < 500, (method, rule.rule, answer.status_code)

    assert ("POST", "/schemas/register", 403) in tried
    assert {rule for _method, rule, _status in tried} >= {"/schemas", "/flow", "/schemas/check"}
    after = (_registry_state(registry_url), _kafka_state(kafka_bootstrap, topic))
    assert after == before
