"""The relay against a real broker, registry and PostgreSQL."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from contract.event_schema import EventContract
from producer_api.relay.service import Relay
from producer_api.settings import RelaySettings
from stack.apps import RegistryApp
from tests.integration.relay.conftest import (
    CONTRACT_DIR,
    insert_events_with_repeated_keys,
    insert_one,
    insert_users,
    read_events,
    read_with_relays,
    register_contract,
    start_relay,
    unsent_rows,
)


def test_events_reach_the_topic_keyed_by_user(
    engine: sa.Engine,
    database_url: str,
    kafka_bootstrap: str,
    relay_registry: RegistryApp,
    topic: str,
    tmp_path: Path,
) -> None:
    register_contract(relay_registry.url, topic)
    event_ids = insert_users(engine, topic, 300)
    records = read_with_relays(
        tmp_path,
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
        registry=relay_registry,
        topic=topic,
        expected=300,
    )
    assert sorted(str(event["event_id"]) for _, event, _ in records) == sorted(event_ids)
    for key, event, headers in records:
        assert key == str(event["user_id"]).encode()
        assert headers["event_id"] == str(event["event_id"]).encode()
        assert "username" not in event
    assert unsent_rows(engine, topic) == 0


def test_a_relay_framing_by_header_writes_what_the_default_deserializer_reads(
    engine: sa.Engine,
    database_url: str,
    kafka_bootstrap: str,
    relay_registry: RegistryApp,
    topic: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RELAY_SCHEMA_ID_FRAMING", "header")
    newest = register_contract(relay_registry.url, topic)[-1]
    assert newest.guid is not None, "the registry gave the schema no GUID"
    event_ids = insert_users(engine, topic, 50)
    # Read as `read_events` reads: AvroDeserializer's defaults, the header, else the prefix.
    records = read_with_relays(
        tmp_path,
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
        registry=relay_registry,
        topic=topic,
        expected=50,
    )
    assert sorted(str(event["event_id"]) for _, event, _ in records) == sorted(event_ids)
    for _, event, headers in records:
        assert headers["event_id"] == str(event["event_id"]).encode()
        assert headers["__value_schema_id"] == b"\x01" + uuid.UUID(newest.guid).bytes


def test_a_late_commit_with_a_lower_id_is_still_sent(
    engine: sa.Engine,
    database_url: str,
    kafka_bootstrap: str,
    relay_registry: RegistryApp,
    topic: str,
    tmp_path: Path,
) -> None:
    register_contract(relay_registry.url, topic)
    contract = EventContract.from_folder(CONTRACT_DIR, subject=f"{topic}-value")
    held = engine.connect()
    transaction = held.begin()
    late_event = insert_one(held, contract, topic)  # takes the lower ids, commits last
    early_events = insert_users(engine, topic, 50)
    relay = start_relay(
        tmp_path,
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
        registry=relay_registry,
        topic=topic,
    )
    try:
        first = read_events(kafka_bootstrap, relay_registry.url, topic, 50)
        assert sorted(str(e["event_id"]) for _, e, _ in first) == sorted(early_events)
        transaction.commit()
        held.close()
        everything = read_events(kafka_bootstrap, relay_registry.url, topic, 51)
    finally:
        relay.process.stop(timeout=20.0)
    assert late_event in {str(event["event_id"]) for _, event, _ in everything}
    assert len(everything) == 51


def test_two_relays_send_every_event_once(
    engine: sa.Engine,
    database_url: str,
    kafka_bootstrap: str,
    relay_registry: RegistryApp,
    topic: str,
    tmp_path: Path,
) -> None:
    register_contract(relay_registry.url, topic)
    event_ids = insert_users(engine, topic, 3000)
    records = read_with_relays(
        tmp_path,
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
        registry=relay_registry,
        topic=topic,
        expected=3000,
        count=2,
    )
    received = [str(event["event_id"]) for _, event, _ in records]
    assert sorted(set(received)) == sorted(event_ids)
    assert len(received) == len(event_ids), "no crash happened, so no duplicate is excusable"


def test_two_relays_with_small_batches_keep_each_keys_order_and_send_once(
    engine: sa.Engine,
    database_url: str,
    kafka_bootstrap: str,
    relay_registry: RegistryApp,
    topic: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Batches of 64 rows (4 or 8 per bucket): buckets change hands between the two relays
    # hundreds of times, and each key has many events spread over many batches.
    monkeypatch.setenv("RELAY_BATCH_SIZE", "64")
    register_contract(relay_registry.url, topic)
    row_ids = insert_events_with_repeated_keys(engine, topic, keys=40, events_per_key=50)
    records = read_with_relays(
        tmp_path,
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
        registry=relay_registry,
        topic=topic,
        expected=len(row_ids),
        count=2,
    )
    received = [row_ids[headers["event_id"].decode()] for _, _, headers in records]
    assert sorted(received) == sorted(row_ids.values())
    assert len(received) == len(set(received)), "no crash happened, so no duplicate is excusable"
    by_key: dict[bytes | None, list[int]] = {}
    for (key, _, _), row_id in zip(records, received, strict=True):
        by_key.setdefault(key, []).append(row_id)
    for key, ids in by_key.items():
        assert ids == sorted(ids), f"events of key {key!r} left out of order"
    assert unsent_rows(engine, topic) == 0


def test_a_schema_missing_from_the_registry_stops_the_relay(
    engine: sa.Engine,
    database_url: str,
    kafka_bootstrap: str,
    relay_registry: RegistryApp,
    topic: str,
    tmp_path: Path,
) -> None:
    insert_users(engine, topic, 1)  # nothing registered under this topic's subject
    relay = start_relay(
        tmp_path,
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
        registry=relay_registry,
        topic=topic,
        wait=False,
    )
    record = relay.process.record()
    assert record is not None
    deadline = time.monotonic() + 30
    while not relay.process.exited(record) and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        assert relay.process.exited(record), "the relay must stop, not skip the row"
        assert "not registered" in relay.process.log_tail(20)
        assert unsent_rows(engine, topic) == 1
    finally:
        relay.process.stop(timeout=5.0)
        with engine.begin() as connection:  # leave no row for the other tests' relays
            connection.execute(sa.text("DELETE FROM outbox WHERE topic = :t"), {"t": topic})


def test_sent_rows_are_deleted_after_the_retention_period(
    engine: sa.Engine,
    database_url: str,
    kafka_bootstrap: str,
    relay_registry: RegistryApp,
    topic: str,
) -> None:
    register_contract(relay_registry.url, topic)
    insert_users(engine, topic, 30)
    settings = RelaySettings.model_validate(
        {
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "REGISTRY_URL": relay_registry.url,
            "EVENT_SCHEMA_DIR": CONTRACT_DIR,
            "retention_hours": 0,
            "cleanup_batch": 7,
            "metrics_port": 0,
        }
    )
    relay = Relay(settings)
    try:
        while unsent_rows(engine, topic):
            relay.drain()
        relay.cleanup_if_due()
    finally:
        relay.close()
    with engine.connect() as connection:
        left = connection.execute(
            sa.text("SELECT count(*) FROM outbox WHERE topic = :t"), {"t": topic}
        ).scalar_one()
    assert left == 0
