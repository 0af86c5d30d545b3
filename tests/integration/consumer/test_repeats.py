"""A relay's resend (the same event id again, same key, later offset) lands in the lake once,
whether the copy arrives in the same run or after the writer restarted."""

from __future__ import annotations

import uuid
from collections import Counter
from pathlib import Path

from confluent_kafka import Producer
from prometheus_client import REGISTRY

from tests.integration.consumer.support import (
    make_event,
    run_until,
    settings_for,
    v2_topic,
)
from tests.lake import rows_in


def _duplicates_counted() -> float:
    found = REGISTRY.get_sample_value("consumer_records_total", {"outcome": "duplicate"})
    return found or 0.0


def test_a_resent_event_lands_once_in_the_same_run_and_after_a_restart(
    kafka_bootstrap: str, lake_registry: str, topic: str, tmp_path: Path
) -> None:
    with v2_topic(kafka_bootstrap, lake_registry, topic, partitions=2) as serialize:
        sent = {n: serialize(make_event(n, 2)) for n in range(3010)}
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "enable.idempotence": True})

    def send(numbers: range) -> None:
        for n in numbers:
            producer.produce(topic, key=str(n).encode(), value=sent[n])
        assert producer.flush(30) == 0

    lake = tmp_path / "lake"
    group = f"lake-{uuid.uuid4().hex}"
    before = _duplicates_counted()
    # A batch sent twice, as by a relay killed between the broker's ack and its mark.
    send(range(3000))
    send(range(1000, 1500))
    run_until(
        settings_for(kafka_bootstrap, lake_registry, topic, lake, group_id=group),
        lambda _w: len(rows_in(lake, topic)) >= 3000 and _duplicates_counted() - before >= 500,
        60,
    )
    in_first_run = _duplicates_counted() - before
    # The last events sent again while no writer runs: the next writer knows them from files.
    send(range(2500, 3000))
    send(range(3000, 3010))
    run_until(
        settings_for(kafka_bootstrap, lake_registry, topic, lake, group_id=group),
        lambda _w: len(rows_in(lake, topic)) >= 3010 and _duplicates_counted() - before >= 1000,
        60,
    )

    ids = Counter(row["event_id"] for row in rows_in(lake, topic))
    assert len(ids) == 3010
    assert set(ids.values()) == {1}
    assert in_first_run == 500
    assert _duplicates_counted() - before == 1000
