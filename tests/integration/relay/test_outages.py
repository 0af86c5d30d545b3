"""Broker and registry outages delay events; they never drop one or stop the relay."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from stack.apps import RegistryApp, RelayApp
from stack.kafka import KafkaService
from stack.runner import start_service
from stack.services import Service
from stack.settings import StackSettings
from tests.conftest import distinct_free_ports, shared_jar_dir
from tests.integration.relay.conftest import (
    Record,
    create_users_via_api,
    event_ids_of,
    read_events,
    register_contract,
    start_api,
    start_relay,
    unsent_rows,
)

USERS = 500


@pytest.fixture(scope="module")
def own_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaService]:
    """A broker these tests may stop and start without disturbing the others."""
    client_port, controller_port = distinct_free_ports(2)
    settings = StackSettings(
        stack_dir=tmp_path_factory.mktemp("outage-broker"),
        kafka_port=client_port,
        kafka_controller_port=controller_port,
        kafka_jar_dir=shared_jar_dir(),
    )
    broker = KafkaService(settings)
    start_service(broker, echo=lambda _line: None)
    yield broker
    broker.process.stop(timeout=20.0)


@pytest.fixture(autouse=True)
def delivery_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    # Longer than the outage: the producer's own retries deliver, and nothing is duplicated.
    monkeypatch.setenv("RELAY_DELIVERY_TIMEOUT_MS", "60000")


def _wait_while_down(relay: RelayApp, engine: sa.Engine, topic: str) -> None:
    time.sleep(4)
    record = relay.process.running()
    assert record is not None, "the relay must ride out the outage, not exit"
    assert unsent_rows(engine, topic) == USERS


def _report(name: str, records: list[Record], event_ids: list[str]) -> None:
    copies = Counter(str(event["event_id"]) for _, event, _ in records)
    duplicates = sum(count - 1 for count in copies.values())
    print(f"{name}: created {len(event_ids)}, on topic {len(records)}, duplicates {duplicates}")
    assert set(copies) == set(event_ids)


def _outage(
    name: str,
    down: Service,
    *,
    engine: sa.Engine,
    database_url: str,
    kafka_bootstrap: str,
    registry: RegistryApp,
    topic: str,
    tmp_path: Path,
) -> None:
    """Users created through the API while `down` is stopped, then delivered once it is back."""
    register_contract(registry.url, topic)
    down.process.stop(timeout=20.0, stop_signal=down.stop_signal)
    api = start_api(tmp_path, database_url=database_url, topic=topic)
    try:
        created, failed = create_users_via_api(api.url, USERS)
        assert (len(created), failed) == (USERS, 0), f"user creation must not need the {name}"
        event_ids = event_ids_of(engine, topic)
        relay = start_relay(
            tmp_path,
            database_url=database_url,
            kafka_bootstrap=kafka_bootstrap,
            registry=registry,
            topic=topic,
        )
        try:
            _wait_while_down(relay, engine, topic)
        except BaseException:
            relay.process.stop(timeout=20.0)
            raise
    finally:
        api.process.stop(timeout=20.0)
        start_service(down, echo=lambda _line: None)
    try:
        records = read_events(kafka_bootstrap, registry.url, topic, USERS, timeout=120)
    finally:
        relay.process.stop(timeout=20.0)
    _report(f"{name} outage", records, event_ids)
    assert unsent_rows(engine, topic) == 0


def test_broker_outage(
    engine: sa.Engine,
    database_url: str,
    own_broker: KafkaService,
    relay_registry: RegistryApp,
    topic: str,
    tmp_path: Path,
) -> None:
    _outage(
        "broker",
        own_broker,
        engine=engine,
        database_url=database_url,
        kafka_bootstrap=own_broker.settings.kafka_bootstrap,
        registry=relay_registry,
        topic=topic,
        tmp_path=tmp_path,
    )


def test_registry_outage(
    engine: sa.Engine,
    database_url: str,
    kafka_bootstrap: str,
    relay_registry: RegistryApp,
    topic: str,
    tmp_path: Path,
) -> None:
    _outage(
        "registry",
        relay_registry,
        engine=engine,
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
        registry=relay_registry,
        topic=topic,
        tmp_path=tmp_path,
    )
