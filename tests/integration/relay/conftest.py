"""Helpers for relay tests: users written through the real insert, events read back."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from confluent_kafka import Consumer
from confluent_kafka.schema_registry import RegisteredSchema, Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from contract.event_schema import EventContract
from producer_api.database import migrate, open_engine
from producer_api.events import NewUser, user_created_event, user_created_kind
from producer_api.outbox.write import insert_from
from producer_api.users import insert_user_with_event
from stack.apps import ApiApp, RegistryApp, RelayApp
from stack.ports import free_port
from stack.runner import start_service
from stack.settings import StackSettings
from tests.conftest import REPO_ROOT, start_sqlite_registry
from tests.privacy import remember

CONTRACT_DIR = REPO_ROOT / "schemas" / "user-events-value"
# (key, decoded event, headers) of one consumed record.
Record = tuple[bytes | None, dict[str, Any], dict[str, bytes]]


@pytest.fixture(scope="module")
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = open_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def relay_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryApp]:
    """A registry of the relay tests' own, so a test may stop and restart it."""
    app = start_sqlite_registry(tmp_path_factory.mktemp("relay-registry"))
    yield app
    app.process.stop(timeout=20.0)


def register_contract(registry_url: str, topic: str) -> list[RegisteredSchema]:
    """Versions 1 and 2 of the event schema under the topic's subject, as registered."""
    client = SchemaRegistryClient({"url": registry_url})
    try:
        return [
            client.register_schema_full_response(
                f"{topic}-value", Schema((CONTRACT_DIR / f"{number}.avsc").read_text(), "AVRO")
            )
            for number in (1, 2)
        ]
    finally:
        client.close()


def insert_users(engine: sa.Engine, topic: str, count: int) -> list[str]:
    """Users and their outbox rows, written as the API writes them; returns the event ids."""
    contract = EventContract.from_folder(CONTRACT_DIR, subject=f"{topic}-value")
    event_ids = []
    with engine.begin() as connection:
        for _ in range(count):
            event_ids.append(insert_one(connection, contract, topic))
    return event_ids


def insert_one(connection: sa.Connection, contract: EventContract, topic: str) -> str:
    user = NewUser(
        username=f"u-{uuid.uuid4().hex}",
        country_code="BE",
        created_at=datetime(2021, 1, 1, tzinfo=UTC),
        is_a_dog=False,
    )
    event_id = uuid.uuid4()
    event = contract.conform(
        user_created_event(user, event_id=event_id, event_time=datetime.now(UTC))
    )
    insert_user_with_event(
        connection, user, event=event, event_id=event_id, kind=user_created_kind(contract, topic)
    )
    return str(event_id)


# An outbox row alone, for keys that have many events (no user behind them).
_EVENT_ALONE = (
    "SELECT CAST(:event_id AS uuid) AS event_id, CAST(:key AS bigint) AS aggregate_id,"
    " CAST(:payload AS jsonb) AS payload"
)


def insert_events_with_repeated_keys(
    engine: sa.Engine, topic: str, *, keys: int, events_per_key: int
) -> dict[str, int]:
    """Outbox rows of a few keys with many events each, interleaved; event id -> row id."""
    contract = EventContract.from_folder(CONTRACT_DIR, subject=f"{topic}-value")
    insert_event = sa.text(
        insert_from(_EVENT_ALONE, user_created_kind(contract, topic)) + " RETURNING id"
    )
    user = NewUser("unused", "BE", datetime(2021, 1, 1, tzinfo=UTC), False)
    row_ids: dict[str, int] = {}
    with engine.begin() as connection:
        for _ in range(events_per_key):
            for key in range(1, keys + 1):
                event_id = uuid.uuid4()
                event = contract.conform(
                    user_created_event(user, event_id=event_id, event_time=datetime.now(UTC))
                )
                row_id = connection.execute(
                    insert_event,
                    {
                        "event_id": event_id,
                        "key": key,
                        "payload": json.dumps({**event, "user_id": key}),
                    },
                ).scalar_one()
                row_ids[str(event_id)] = row_id
    return row_ids


def start_relay(
    tmp_path: Path,
    *,
    database_url: str,
    kafka_bootstrap: str,
    registry: RegistryApp,
    topic: str,
    wait: bool = True,
) -> RelayApp:
    settings = StackSettings(
        stack_dir=tmp_path / f"relay-{uuid.uuid4().hex[:6]}",
        database_url=database_url,
        kafka_port=int(kafka_bootstrap.rsplit(":", 1)[1]),
        registry_port=registry.port,
        relay_metrics_port=free_port(),
        events_topic=topic,
        schemas_dir=REPO_ROOT / "schemas",
    )
    relay = RelayApp(settings)
    if wait:
        start_service(relay, echo=lambda _line: None)
    else:
        relay.process.start(relay.command(), port=relay.port, env=relay.environment())
    return relay


def read_with_relays(
    tmp_path: Path,
    *,
    database_url: str,
    kafka_bootstrap: str,
    registry: RegistryApp,
    topic: str,
    expected: int,
    count: int = 1,
) -> list[Record]:
    """Run ``count`` relay processes on one topic and read what they send (see
    ``read_events``). One relay is waited for, so one that cannot start fails here; several
    start at once, so that they share the work."""
    relays = [
        start_relay(
            tmp_path,
            database_url=database_url,
            kafka_bootstrap=kafka_bootstrap,
            registry=registry,
            topic=topic,
            wait=count == 1,
        )
        for _ in range(count)
    ]
    try:
        return read_events(kafka_bootstrap, registry.url, topic, expected)
    finally:
        for relay in relays:
            relay.process.stop(timeout=20.0)


def read_events(
    kafka_bootstrap: str, registry_url: str, topic: str, expected: int, *, timeout: float = 60.0
) -> list[Record]:
    """(key, decoded event, headers) of every record, once ``expected`` arrived and a quiet
    second followed (so duplicates beyond ``expected`` are seen too)."""
    client = SchemaRegistryClient({"url": registry_url})
    deserializer = AvroDeserializer(client)
    consumer = Consumer(
        {
            "bootstrap.servers": kafka_bootstrap,
            "group.id": f"reader-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    records: list[Record] = []
    deadline = time.monotonic() + timeout
    quiet_since = time.monotonic()
    try:
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error() is not None:
                if len(records) >= expected and time.monotonic() - quiet_since > 1.0:
                    break
                continue
            quiet_since = time.monotonic()
            # With the headers: the schema may be named in one.
            context = SerializationContext(topic, MessageField.VALUE, message.headers())
            event = deserializer(message.value(), context)
            headers = header_map(message.headers())
            records.append((message.key(), event, headers))
    finally:
        consumer.close()
        client.close()
    return records


def unsent_rows(engine: sa.Engine, topic: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                sa.text("SELECT count(*) FROM outbox WHERE topic = :t AND sent_at IS NULL"),
                {"t": topic},
            ).scalar_one()
        )


Headers = dict[str, str | bytes | None] | list[tuple[str, str | bytes | None]] | None


def header_map(raw: Headers) -> dict[str, bytes]:
    """Consumed headers as a dict; a consumer hands them over as a list of pairs."""
    pairs = list(raw.items()) if isinstance(raw, dict) else list(raw or [])
    return {
        name: value.encode() if isinstance(value, str) else bytes(value or b"")
        for name, value in pairs
    }


def start_api(tmp_path: Path, *, database_url: str, topic: str) -> ApiApp:
    """A users API process writing this topic's events to the outbox."""
    settings = StackSettings(
        stack_dir=tmp_path / f"api-{uuid.uuid4().hex[:6]}",
        database_url=database_url,
        api_port=free_port(),
        events_topic=topic,
        schemas_dir=REPO_ROOT / "schemas",
    )
    api = ApiApp(settings)
    start_service(api, echo=lambda _line: None)
    return api


def create_users_via_api(api_url: str, count: int) -> tuple[list[int], int]:
    """POST /users ``count`` times; returns the new user ids and how many requests failed."""
    ids: list[int] = []
    failed = 0
    with requests.Session() as session:
        for _ in range(count):
            body = {
                "username": remember(f"o-{uuid.uuid4().hex}"),
                "country_code": "BE",
                "created_at": "2021-01-01 00:00:00",
            }
            answer = session.post(f"{api_url}/users", json=body, timeout=30)
            if answer.status_code == 201:
                ids.append(int(answer.json()["id"]))
            else:
                failed += 1
    return ids, failed


def event_ids_of(engine: sa.Engine, topic: str) -> list[str]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT event_id::text FROM outbox WHERE topic = :t"), {"t": topic}
        )
        return [str(row[0]) for row in rows]
