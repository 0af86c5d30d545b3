"""The whole local stack on free ports, faults injected into its real processes, and a load.

`FaultStack` runs the services `make up` runs (Kafka, PostgreSQL, registry, API, relay, lake
writer) from the same code, so a fault here is a fault there. `UserLoad` creates users
through the API from threads on loopback, bounded in count, and records every answer.
"""

from __future__ import annotations

import http.client
import json
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from confluent_kafka import Consumer
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer

from platform_common.database import engine_url
from stack.apps import ConsumerApp
from stack.kafka import KafkaService
from stack.runner import local_services, start_service
from stack.security import StackSecurity
from stack.services import Service
from stack.settings import StackSettings
from tests.lake import landed_values, settings_of
from tests.privacy import remember


class FaultConsumer(ConsumerApp):
    """The lake writer with settings for faults, given to its process only (other tests'
    consumers run in the same session)."""

    def environment(self) -> dict[str, str]:
        return {
            **super().environment(),
            # Files close within a second, so a scenario's events are soon visible.
            "CONSUMER_MAX_AGE_SECONDS": "1",
            # A static member takes its partitions back at once after a SIGKILL.
            "CONSUMER_GROUP_INSTANCE_ID": "lake-writer-faults",
        }


class FaultStack:
    """The platform's processes, started in order; any of them can be killed and restarted."""

    def __init__(self, settings: StackSettings) -> None:
        self.settings = settings
        self.security = StackSecurity(settings)
        self.services: dict[str, Service] = {s.name: s for s in local_services(settings)}
        self.services["consumer"] = FaultConsumer(settings)
        # Pre-ping: the PostgreSQL scenario restarts the server under this pool.
        self.engine = sa.create_engine(
            engine_url(settings.effective_database_url), pool_pre_ping=True
        )

    @property
    def kafka_connection(self) -> dict[str, str]:
        return self.security.kafka_client_config()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.api_port}"

    @property
    def registry_url(self) -> str:
        return self.settings.registry_url

    def start(self) -> None:
        for service in self.services.values():
            start_service(service, echo=lambda _line: None)

    def stop(self) -> None:
        for service in reversed(list(self.services.values())):
            service.process.stop(timeout=20.0, stop_signal=service.stop_signal)
        self.engine.dispose()

    def kill(self, name: str) -> None:
        """SIGKILL the service's whole process group: no shutdown code runs."""
        self.services[name].process.stop(timeout=0.1, stop_signal=signal.SIGKILL)

    def stop_gracefully(self, name: str) -> None:
        service = self.services[name]
        service.process.stop(timeout=20.0, stop_signal=service.stop_signal)

    def restart(self, name: str) -> None:
        start_service(self.services[name], echo=lambda _line: None)

    def events_leader(self) -> str:
        """The service name of the node leading the events topic's first partition."""
        admin = AdminClient(
            {"bootstrap.servers": self.settings.kafka_bootstrap, **self.kafka_connection}
        )
        topic = self.settings.events_topic
        leader = admin.list_topics(topic, timeout=10).topics[topic].partitions[0].leader
        return KafkaService(self.settings, node=leader - 1).name

    def unsent(self, user_ids: Iterable[int]) -> int:
        """How many of these users' outbox rows the relay has not marked sent."""
        with self.engine.connect() as connection:
            return int(
                connection.execute(
                    sa.text(
                        "SELECT count(*) FROM outbox "
                        "WHERE aggregate_id = ANY(:ids) AND sent_at IS NULL"
                    ),
                    {"ids": [str(i) for i in user_ids]},
                ).scalar_one()
            )

    def event_ids(self, user_ids: Iterable[int]) -> set[str]:
        """The event ids of these users' outbox rows."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT event_id::text FROM outbox WHERE aggregate_id = ANY(:ids)"),
                {"ids": [str(i) for i in user_ids]},
            )
            return {str(row[0]) for row in rows}

    def lake_copies(self, event_ids: set[str]) -> Counter[str]:
        """How many times each of `event_ids` is in the lake (its table, or visible files)."""
        landed = landed_values(settings_of(FaultConsumer(self.settings)), "event_id")
        return Counter(event_id for event_id in landed if event_id in event_ids)

    def wait_for_lake(self, event_ids: set[str], timeout: float = 180.0) -> Counter[str]:
        deadline = time.monotonic() + timeout
        copies = self.lake_copies(event_ids)
        while len(copies) < len(event_ids) and time.monotonic() < deadline:
            time.sleep(0.5)
            copies = self.lake_copies(event_ids)
        return copies

    def topic_copies(self, event_ids: set[str], timeout: float = 60.0) -> Counter[str]:
        """How many times each of `event_ids` is on the events topic (read from the start)."""
        client = SchemaRegistryClient(self.security.registry_client_config(self.registry_url))
        deserializer = AvroDeserializer(client)
        consumer = Consumer(
            {
                "bootstrap.servers": self.settings.kafka_bootstrap,
                "group.id": f"fault-reader-{uuid.uuid4().hex}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
                **self.kafka_connection,
            }
        )
        consumer.subscribe([self.settings.events_topic])
        copies: Counter[str] = Counter()
        deadline = time.monotonic() + timeout
        quiet_since = time.monotonic()
        try:
            while time.monotonic() < deadline:
                messages = consumer.consume(1000, timeout=0.5)
                if not messages and len(copies) >= len(event_ids):
                    if time.monotonic() - quiet_since > 2.0:
                        break
                    continue
                for message in messages:
                    if message.error() is not None:
                        continue
                    quiet_since = time.monotonic()
                    event = deserializer(message.value(), None)
                    if isinstance(event, dict) and str(event["event_id"]) in event_ids:
                        copies[str(event["event_id"])] += 1
        finally:
            consumer.close()
            client.close()
        return copies


@dataclass
class LoadResult:
    user_ids: list[int] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())

    @property
    def failed(self) -> int:
        return self.sent - self.statuses[201]


class UserLoad:
    """`count` new users POSTed by `concurrency` threads over keep-alive connections."""

    def __init__(self, api_url: str, count: int, *, concurrency: int = 8) -> None:
        self._host, port = api_url.removeprefix("http://").split(":")
        self._port = int(port)
        self._count = count
        self._concurrency = concurrency
        self._next = 0
        self._lock = threading.Lock()
        self.result = LoadResult()
        self._threads = [
            threading.Thread(target=self._worker, daemon=True) for _ in range(concurrency)
        ]

    @property
    def done(self) -> int:
        with self._lock:
            return self.result.sent

    def start(self) -> UserLoad:
        for thread in self._threads:
            thread.start()
        return self

    def wait_until_done(self, at_least: int) -> None:
        while self.done < at_least and any(t.is_alive() for t in self._threads):
            time.sleep(0.02)

    def join(self, timeout: float = 300.0) -> LoadResult:
        for thread in self._threads:
            thread.join(timeout)
        return self.result

    def _take(self) -> bool:
        with self._lock:
            if self._next >= self._count:
                return False
            self._next += 1
            return True

    def _worker(self) -> None:
        connection = http.client.HTTPConnection(self._host, self._port, timeout=30)
        try:
            self._send_all(connection)
        finally:
            connection.close()

    def _send_all(self, connection: http.client.HTTPConnection) -> None:
        while self._take():
            body = json.dumps(
                {
                    "username": remember(f"fault-{uuid.uuid4().hex}"),
                    "country_code": "BE",
                    "created_at": "2021-01-01 00:00:00",
                }
            )
            status, answer = _post(connection, body)
            with self._lock:
                self.result.statuses[status] += 1
                if status == 201:
                    self.result.user_ids.append(int(answer["id"]))
                elif status >= 500:
                    self.result.server_errors.append(json.dumps(answer)[:200])


def _post(connection: http.client.HTTPConnection, body: str) -> tuple[int, dict[str, Any]]:
    try:
        connection.request(
            "POST", "/users", body=body, headers={"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        raw = response.read()
    except (OSError, http.client.HTTPException):
        connection.close()  # reconnects on the next request
        return 0, {"error": "connection failed"}
    try:
        answer = json.loads(raw)
    except ValueError:
        answer = {"error": "not JSON", "body": raw[:100].decode(errors="replace")}
    return response.status, answer if isinstance(answer, dict) else {"body": answer}


@contextmanager
def running(settings: StackSettings) -> Iterator[FaultStack]:
    stack = FaultStack(settings)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def follow_to_lake(
    stack: FaultStack, user_ids: list[int], report: Figures, name: str, **numbers: object
) -> None:
    event_ids = stack.event_ids(user_ids)
    assert len(event_ids) == len(user_ids), "every created user has its outbox row"
    in_lake = stack.wait_for_lake(event_ids)
    on_topic = stack.topic_copies(event_ids)
    report(
        figure(
            name,
            **numbers,
            events_in=len(event_ids),
            rows_out=sum(in_lake.values()),
            duplicates_on_topic=sum(on_topic.values()) - len(on_topic),
            duplicates_in_lake=sum(in_lake.values()) - len(in_lake),
        )
    )
    assert set(on_topic) == event_ids, "every event reached the topic"
    assert set(in_lake) == event_ids, "every event reached the lake"
    assert set(in_lake.values()) == {1}, "no event is in the lake twice"


def every_request_served_and_landed(
    stack: FaultStack, result: LoadResult, report: Figures, name: str
) -> None:
    assert result.failed == 0, f"requests failed: {dict(result.statuses)}"
    follow_to_lake(
        stack, result.user_ids, report, name, requests_sent=result.sent, failed=result.failed
    )


def figure(name: str, **numbers: Any) -> str:
    """One line of a scenario's figures: `name: key value, key value`."""
    return f"{name}: " + ", ".join(
        f"{key.replace('_', ' ')} {value}" for key, value in numbers.items()
    )


Figures = Callable[[str], None]
