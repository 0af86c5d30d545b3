"""The real services a benchmark runs against, started on free ports and stopped after."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from confluent_kafka.admin import AdminClient, NewTopic

from stack.apps import RegistryApp
from stack.kafka import KafkaService
from stack.ports import free_port
from stack.postgres import PostgresService
from stack.runner import start_service
from stack.services import Service
from stack.settings import StackSettings

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class BenchStack:
    settings: StackSettings
    database_url: str
    kafka_bootstrap: str
    registry_url: str


def create_topic(stack: BenchStack, topic: str, *, partitions: int) -> None:
    """The topic, created before anyone writes it: no auto-creation inside a measure."""
    admin = AdminClient({"bootstrap.servers": stack.kafka_bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=partitions)])[topic].result(timeout=30)


class _LogicalPostgres(PostgresService):
    """The stack's PostgreSQL with logical decoding on, as Debezium needs it."""

    def command(self) -> list[str]:
        decoding = ["wal_level=logical", "max_replication_slots=4", "max_wal_senders=4"]
        return [*super().command(), *(arg for value in decoding for arg in ("-c", value))]


@contextmanager
def bench_stack(*, kafka: bool = True, logical_decoding: bool = False) -> Iterator[BenchStack]:
    with tempfile.TemporaryDirectory(prefix="bench-") as state:
        settings = StackSettings.on_free_ports(
            Path(state), kafka_jar_dir=(REPO_ROOT / StackSettings().kafka_jars).resolve()
        ).model_copy(update={"schemas_dir": REPO_ROOT / "schemas"})
        postgres = _LogicalPostgres(settings) if logical_decoding else PostgresService(settings)
        services: list[Service] = [postgres, RegistryApp(settings)]
        if kafka:
            services.insert(0, KafkaService(settings))
        started: list[Service] = []
        try:
            for service in services:
                start_service(service, echo=print)
                started.append(service)
            yield BenchStack(
                settings=settings,
                database_url=settings.effective_database_url,
                kafka_bootstrap=settings.kafka_bootstrap,
                registry_url=f"http://127.0.0.1:{settings.registry_port}",
            )
        finally:
            for service in reversed(started):
                service.process.stop(timeout=20.0, stop_signal=service.stop_signal)


@contextmanager
def bench_registry(database: Literal["postgresql", "sqlite"]) -> Iterator[str]:
    """A registry alone, on its own PostgreSQL server or on a SQLite file; yields its URL."""
    if database == "postgresql":
        with bench_stack(kafka=False) as stack:
            yield stack.registry_url
        return
    with tempfile.TemporaryDirectory(prefix="bench-") as state:
        settings = StackSettings(
            stack_dir=Path(state),
            registry_port=free_port(),
            database_url=f"sqlite:///{Path(state) / 'registry.db'}",
        )
        registry = RegistryApp(settings)
        start_service(registry, echo=print)
        try:
            yield registry.url
        finally:
            registry.process.stop(timeout=20.0, stop_signal=registry.stop_signal)


def quiesce(*, idle_share: float = 0.85, most_seconds: float = 30.0) -> float:
    """Before timed rounds: flush the page cache's dirty pages and wait until the cores are
    mostly idle (or ``most_seconds`` pass). An earlier section's stack, torn down with its
    data folder, still had the kernel writing back and its processes exiting: the next
    section's first rounds, whose every commit waits on a flush, ran at two thirds of the
    later ones. Returns the idle share last measured."""
    os.sync()
    deadline = time.monotonic() + most_seconds
    idle = _idle_share_over(1.0)
    while idle < idle_share and time.monotonic() < deadline:
        idle = _idle_share_over(1.0)
    return idle


def _idle_share_over(seconds: float) -> float:
    """The share of CPU time the machine spent idle (or waiting on nothing) over ``seconds``."""
    before = _cpu_times()
    time.sleep(seconds)
    after = _cpu_times()
    spent = [b - a for a, b in zip(before, after, strict=True)]
    total = sum(spent)
    # /proc/stat's cpu line: user nice system idle iowait irq softirq steal …; idle is [3].
    return spent[3] / total if total else 1.0


def _cpu_times() -> list[int]:
    with open("/proc/stat", encoding="ascii") as stat:
        return [int(field) for field in stat.readline().split()[1:]]
