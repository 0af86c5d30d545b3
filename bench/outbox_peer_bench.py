"""The relay beside Debezium's outbox router: draining a backlog of the same outbox rows.

Both sides read an `outbox` table of the API's schema on one PostgreSQL server started with
`wal_level=logical`, each in a database of its own, so neither captures the other's rows.
Debezium's PostgreSQL connector runs in a standalone Kafka Connect worker (`make
peer-jars`) with its `EventRouter`, as its outbox documentation sets it up: pgoutput,
streaming, each row routed by its `topic` column, keyed by its message key, the JSON payload
expanded. It streams: a user runs it all the time, and a backlog is what builds up in the
WAL meanwhile; a snapshot would read the table, sent rows included.

A drain round commits a backlog of rows in one transaction and times, on a consumer of the
topic, from that commit to the last of its records. The latency commits users one by one
at a moderate rate, as the API does, and times each commit until its record is read (the
relay woken at the API's pace; Debezium streaming). The API's rate is that of two API
processes on the one server, one on each database while its side captures it: logical
decoding costs the database too. The relay runs as `make up` runs it, in a process of its
own as Debezium's worker is. The relay's records are Avro (it serializes against the
registry); Debezium's are the outbox's JSON, as its router copies it.
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

import sqlalchemy as sa
from confluent_kafka import Consumer, Producer

from bench.api_bench import paired_rates, round_rate, warm_up
from bench.connect import ConnectStandalone
from bench.relay_bench import (
    _fill,
    _topic,
    commit_latencies,
    direct_until_received,
    start_reader,
)
from bench.report import Measure, pair_ratios, rounded
from bench.services import REPO_ROOT, BenchStack, bench_stack, create_topic, quiesce
from platform_common.database import libpq_url
from producer_api.database import migrate, open_engine
from producer_api.outbox.wakeup import RelayWaker
from producer_api.settings import ApiSettings
from stack.apps import ApiApp, RelayApp
from stack.ports import free_port
from stack.postgres import create_database
from stack.runner import start_service
from stack.settings import StackSettings

BACKLOG = 100_000
WARMUP = 5_000
ROUNDS = 3
# Rounds not counted: Debezium's drain still shortened round by round over the first two
# (the JVM compiling its hot paths), the relay's did not.
WARMUP_ROUNDS = 2
PEER_DATABASE = "debezium"
PEER = "Debezium 3.6.1"
SECONDS_PER_ROUND = 300.0


def run() -> list[Measure]:
    with bench_stack(logical_decoding=True) as stack:
        ours_engine = open_engine(stack.database_url)
        migrate(ours_engine)
        peer_url = _peer_database(stack)
        peer_engine = open_engine(peer_url)
        migrate(peer_engine)
        connect = _debezium(stack, peer_engine.url)
        relay_rates: list[float] = []
        peer_rates: list[float] = []
        try:
            # Debezium is paused while the relay works (see _api_rates for why).
            for round_number in range(WARMUP_ROUNDS + ROUNDS):
                with connect.paused():
                    ours = _relay_drain(stack, ours_engine, f"bench-relay-peer-{round_number}")
                theirs = _backlog_drain(stack, peer_engine, f"bench-dbz-{round_number}", None)
                if round_number >= WARMUP_ROUNDS:
                    relay_rates.append(ours)
                    peer_rates.append(theirs)
            with connect.paused():
                relay_latency = _relay_latency(stack, ours_engine, "bench-relay-peer-latency")
            peer_latency = _latency(stack, peer_engine, "bench-dbz-latency", None)
            for engine in (ours_engine, peer_engine):
                _settle(engine)
            print(f"machine idle before the API rounds: {quiesce():.0%}")
            api_rates = _api_rates(stack, ours_engine, peer_engine, connect)
        finally:
            connect.process.stop(timeout=30.0)
            ours_engine.dispose()
            peer_engine.dispose()
    print(f"drain events/s by round: relay {rounded(relay_rates)}, Debezium {rounded(peer_rates)}")
    return [
        Measure(
            "relay drain of a 100k backlog vs Debezium",
            "events/s",
            statistics.median(relay_rates),
            statistics.median(peer_rates),
            "Debezium's outbox EventRouter streaming the same rows, events/s",
            1.0,
            peer=PEER,
        ),
        Measure(
            "relay latency commit -> consumer p99 vs Debezium",
            "ms",
            relay_latency[1],
            peer_latency[1],
            "Debezium's p99 on the same commits at the same rate, ms",
            1.0,
            direction="max",
            peer=PEER,
        ),
        Measure(
            "api POST /users, relay vs Debezium capturing",
            "req/s",
            statistics.median(api_rates["relay"]),
            statistics.median(api_rates["debezium"]),
            "the same API on a database Debezium captures, req/s",
            1.0,
            peer=PEER,
            paired_ratios=pair_ratios(api_rates["relay"], api_rates["debezium"]),
        ),
        Measure(
            "relay latency commit -> consumer p50 vs Debezium",
            "ms",
            relay_latency[0],
            peer_latency[0],
            "Debezium's p50, ms",
            1.0,
            direction="max",
            peer=PEER,
        ),
    ]


def _peer_database(stack: BenchStack) -> str:
    url = sa.make_url(stack.database_url)
    admin = url.set(database="postgres")
    create_database(libpq_url(admin), PEER_DATABASE)
    return url.set(database=PEER_DATABASE).render_as_string(hide_password=False)


def _debezium(stack: BenchStack, url: sa.URL) -> ConnectStandalone:
    """Debezium's PostgreSQL connector with its outbox router, streaming from now on."""
    connector = {
        "name": "outbox",
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "tasks.max": "1",
        "database.hostname": url.host or "127.0.0.1",
        "database.port": str(url.port),
        "database.user": url.username or "postgres",
        "database.password": url.password or "",
        "database.dbname": url.database or PEER_DATABASE,
        "topic.prefix": "peer",
        "plugin.name": "pgoutput",
        "publication.autocreate.mode": "filtered",
        "table.include.list": "public.outbox",
        "snapshot.mode": "no_data",
        # Its default waits 500 ms for changes before it hands over a batch; the relay is
        # woken at once, so Debezium is given the short wait a latency-minded user sets.
        "poll.interval.ms": "10",
        "transforms": "outbox",
        "transforms.outbox.type": "io.debezium.transforms.outbox.EventRouter",
        "transforms.outbox.table.field.event.id": "event_id",
        "transforms.outbox.table.field.event.key": "message_key",
        "transforms.outbox.table.field.event.payload": "payload",
        "transforms.outbox.route.by.field": "topic",
        "transforms.outbox.route.topic.replacement": "${routedByValue}",
        "transforms.outbox.table.expand.json.payload": "true",
    }
    connect = ConnectStandalone(
        stack.settings,
        peers=(REPO_ROOT / StackSettings().peers).resolve(),
        bootstrap=stack.kafka_bootstrap,
        rest_port=free_port(),
        connector=connector,
    )
    start_service(connect, echo=print)
    return connect


def _relay_drain(stack: BenchStack, engine: sa.Engine, topic: str) -> float:
    with _running_relay(stack, engine, topic) as wake:
        return _backlog_drain(stack, engine, topic, wake)


def _relay_latency(stack: BenchStack, engine: sa.Engine, topic: str) -> tuple[float, float]:
    with _running_relay(stack, engine, topic) as wake:
        return _latency(stack, engine, topic, wake)


@contextmanager
def _running_relay(
    stack: BenchStack, engine: sa.Engine, topic: str
) -> Iterator[Callable[[], None]]:
    """The relay as `make up` runs it (a process of its own, as Debezium's worker is), for
    ``topic``; yields the wake-up the API sends after each commit (a NOTIFY, at most one per
    the API's default interval)."""
    _topic(stack, topic)
    settings = stack.settings.model_copy(
        update={
            "database_url": engine.url.render_as_string(hide_password=False),
            "events_topic": topic,
            "relay_metrics_port": free_port(),
        }
    )
    relay = RelayApp(settings)
    start_service(relay, echo=print)
    wake_interval_ms = ApiSettings.model_fields["wake_interval_ms"].default
    waker = RelayWaker(libpq_url(engine.url), interval=wake_interval_ms / 1000)
    try:
        yield waker.poke
    finally:
        relay.process.stop(timeout=30.0)


def _api_rates(
    stack: BenchStack, ours_engine: sa.Engine, peer_engine: sa.Engine, connect: ConnectStandalone
) -> dict[str, list[float]]:
    """POST /users req/s of two API processes on the one server: one on our database with
    the relay sending, one on Debezium's, which it captures; by side, in paired rounds.

    Debezium is paused during the relay's rounds: idle, its task still polled every 10 ms,
    which cost a sixth of a core taken from the relay's side. The relay, idle, waits for a
    wake-up and costs nothing measurable."""
    apis: dict[str, ApiApp] = {}
    for side, engine, topic in (
        ("relay", ours_engine, "bench-api-relay"),
        ("debezium", peer_engine, "bench-api-dbz"),
    ):
        create_topic(stack, topic, partitions=3)
        settings = stack.settings.model_copy(
            update={
                "database_url": engine.url.render_as_string(hide_password=False),
                "events_topic": topic,
                "api_port": free_port(),
            }
        )
        apis[side] = ApiApp(settings)
    try:
        with _running_relay(stack, ours_engine, "bench-api-relay"):
            for api in apis.values():
                start_service(api, echo=print)
                warm_up(api.url)
            rates = paired_rates(
                {
                    "relay": partial(_while_paused, connect, apis["relay"].url),
                    "debezium": partial(round_rate, apis["debezium"].url, "debezium"),
                }
            )
    finally:
        for api in apis.values():
            api.process.stop(timeout=20.0)
    print(
        f"POST /users req/s by round: relay {rounded(rates['relay'])}, "
        f"Debezium {rounded(rates['debezium'])}"
    )
    return rates


def _settle(engine: sa.Engine) -> None:
    """Vacuum the tables the drain and latency rounds filled, then checkpoint: otherwise
    autovacuum and the checkpointer worked through that backlog during the first API rounds,
    which ran at half the rate of the last ones, on both sides."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM (ANALYZE) outbox, users"))
        connection.execute(sa.text("CHECKPOINT"))


def _while_paused(connect: ConnectStandalone, url: str) -> float:
    with connect.paused():
        return round_rate(url, "relay")


def _latency(
    stack: BenchStack, engine: sa.Engine, topic: str, after_commit: Callable[[], None] | None
) -> tuple[float, float]:
    """p50/p99 ms from each user's commit to its record on ``topic``, at a moderate rate;
    the reader is positioned first by a marker written straight to the topic."""
    create_topic(stack, topic, partitions=1)
    received: dict[str, float] = {}
    reader = start_reader(stack, topic, received)
    try:
        marker_producer = Producer({"bootstrap.servers": stack.kafka_bootstrap})
        direct_until_received(marker_producer, topic, received)
        latency = commit_latencies(engine, topic, received, after_commit=after_commit)
    finally:
        reader.stop.set()
        reader.join(30)
    print(f"{topic}: latency p50/p99 ms {latency}")
    return latency


def _backlog_drain(
    stack: BenchStack, engine: sa.Engine, topic: str, after_commit: Callable[[], None] | None
) -> float:
    """Events/s from the commit of a backlog to its last record on ``topic`` (after a
    warm-up batch the clock does not see)."""
    create_topic(stack, topic, partitions=3)
    counter = _Counter(stack, topic)
    counter.start()
    try:
        _fill(engine, topic, WARMUP)
        if after_commit is not None:
            after_commit()
        counter.wait_for(WARMUP, SECONDS_PER_ROUND)
        _fill(engine, topic, BACKLOG)
        began = time.perf_counter()
        if after_commit is not None:
            after_commit()
        counter.wait_for(WARMUP + BACKLOG, SECONDS_PER_ROUND)
        elapsed = counter.last_at - began
    finally:
        counter.stop.set()
        counter.join(30)
    print(f"{topic}: {BACKLOG} events in {elapsed:.2f} s")
    return BACKLOG / elapsed


class _Counter(threading.Thread):
    """Counts the topic's records from its start, and when the newest arrived."""

    def __init__(self, stack: BenchStack, topic: str) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.count = 0
        self.last_at = 0.0
        self.consumer = Consumer(
            {
                "bootstrap.servers": stack.kafka_bootstrap,
                "group.id": f"bench-{uuid.uuid4().hex}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
            }
        )
        self.consumer.subscribe([topic])

    def run(self) -> None:
        while not self.stop.is_set():
            messages = self.consumer.consume(num_messages=10_000, timeout=0.1)
            arrived = time.perf_counter()
            got = sum(1 for message in messages if message.error() is None)
            if got:
                self.count += got
                self.last_at = arrived
        self.consumer.close()

    def wait_for(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.count < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.count} of {count} records after {timeout:.0f} s")
            time.sleep(0.01)


def main() -> None:
    for measure in run():
        print(measure)


if __name__ == "__main__":
    main()
