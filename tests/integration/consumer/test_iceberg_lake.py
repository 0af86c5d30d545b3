"""The lake writer into an Iceberg table, against a real broker, registry and PostgreSQL."""

from __future__ import annotations

import threading
import time
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer
from pydantic import SecretStr

from consumer.lake import open_catalog
from consumer.runner import LakeWriter
from consumer.settings import ConsumerSettings
from consumer.sink.iceberg import COMMIT_CONFLICTS, next_offsets
from tests.integration.consumer.support import (
    EVENTS,
    dead_letters,
    make_event,
    produce_bad,
    produce_mixed,
    run_until,
    settings_for,
    v2_topic,
)
from tests.lake import table_rows


def iceberg_settings(
    bootstrap: str, registry_url: str, topic: str, lake: Path, **overrides: Any
) -> ConsumerSettings:
    return settings_for(bootstrap, registry_url, topic, lake, format="iceberg", **overrides)


def offsets_of(settings: ConsumerSettings) -> dict[int, int]:
    with closing(open_catalog(settings)) as catalog:
        table = catalog.load_table((settings.table_namespace, settings.iceberg_table))
        return next_offsets(table, settings.events_topic)


@pytest.mark.parametrize("catalog", ["sqlite", "postgresql"])
def test_mixed_writers_land_once_in_the_table_and_a_restart_adds_nothing(
    kafka_bootstrap: str,
    lake_registry: str,
    topic: str,
    tmp_path: Path,
    catalog: str,
    request: pytest.FixtureRequest,
) -> None:
    overrides = {}
    if catalog == "postgresql":
        overrides["catalog_url"] = request.getfixturevalue("database_url")
    versions = produce_mixed(kafka_bootstrap, lake_registry, topic)
    produce_bad(kafka_bootstrap, lake_registry, topic)
    settings = iceberg_settings(kafka_bootstrap, lake_registry, topic, tmp_path, **overrides)
    run_until(settings, lambda _writer: len(table_rows(settings)) >= EVENTS, 90)
    rows = table_rows(settings)
    assert sorted(str(row["event_id"]) for row in rows) == sorted(versions)
    for row in rows:
        expected_channel = "api" if versions[str(row["event_id"])] == 1 else "web"
        assert row["signup_channel"] == expected_channel  # v1 events get v2's default
    # The two bad records (after the good ones) went to the dead-letter topic, as with files;
    # the table's offsets stop at its last batch.
    letters = dead_letters(kafka_bootstrap, topic, 2)
    assert sorted(letter["dlq.reason"] for letter in letters) == [
        b"incompatible_schema",
        b"undecodable",
    ]
    assert sum(offsets_of(settings).values()) == EVENTS

    # A writer of another group starts from the table, not from its own (empty) offsets.
    again = settings.model_copy(update={"group_id": f"lake-{uuid.uuid4().hex}"})
    run_until(again, lambda writer: bool(writer.assigned), 30)
    assert len(table_rows(settings)) == EVENTS


def test_two_writers_of_one_group_one_restarted_commit_every_offset_once(
    kafka_bootstrap: str, lake_registry: str, topic: str, tmp_path: Path
) -> None:
    total = 30_000
    with v2_topic(kafka_bootstrap, lake_registry, topic, partitions=6) as serialize:
        producer = Producer({"bootstrap.servers": kafka_bootstrap, "enable.idempotence": True})
        sent = []
        for n in range(total):
            event = make_event(n, 2)
            sent.append(event["event_id"])
            producer.produce(topic, key=str(n).encode(), value=serialize(event))
            if n % 1000 == 0:
                producer.poll(0)
        assert producer.flush(30) == 0
    settings = iceberg_settings(
        kafka_bootstrap, lake_registry, topic, tmp_path, max_records=400, max_age_seconds=0.5
    )
    conflicts = COMMIT_CONFLICTS._value.get()
    stop_first, stop_second = threading.Event(), threading.Event()
    first, second = LakeWriter(settings), LakeWriter(settings)
    threads = [
        threading.Thread(target=first.run, args=(stop_first.is_set,), daemon=True),
        threading.Thread(target=second.run, args=(stop_second.is_set,), daemon=True),
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 120
    while len(table_rows(settings)) < total // 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    # The second stops mid-run (its partitions go to the first), then comes back.
    stop_second.set()
    threads[1].join(30)
    restarted = LakeWriter(settings)
    stop_restarted = threading.Event()
    threads.append(threading.Thread(target=restarted.run, args=(stop_restarted.is_set,)))
    threads[-1].start()
    while len(table_rows(settings)) < total and time.monotonic() < deadline:
        time.sleep(0.2)
    stop_first.set()
    stop_restarted.set()
    for thread in threads:
        thread.join(30)
    rows = table_rows(settings)
    assert len(rows) == total
    assert sorted(str(row["event_id"]) for row in rows) == sorted(sent)
    assert sum(offsets_of(settings).values()) == total
    print(f"commit conflicts retried: {COMMIT_CONFLICTS._value.get() - conflicts}")


def test_processes_opening_a_new_catalog_at_once_all_open_it(
    database_url: str, tmp_path: Path
) -> None:
    """Writers (or a writer and `make query`) starting together on a catalog not made yet."""
    opened: list[str] = []
    failures: list[BaseException] = []
    start = threading.Barrier(6)

    def open_one(schema: str) -> None:
        settings = ConsumerSettings(
            format="iceberg",
            output=str(tmp_path),
            catalog_url=SecretStr(database_url),
            catalog_schema=schema,
        )
        start.wait()
        try:
            with closing(open_catalog(settings)) as catalog:
                opened.append(str(catalog.list_namespaces()))
        except BaseException as error:
            failures.append(error)

    for attempt in range(3):
        schema = f"race_{attempt}_{uuid.uuid4().hex[:6]}"
        threads = [threading.Thread(target=open_one, args=(schema,)) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert failures == []
    assert len(opened) == 18
