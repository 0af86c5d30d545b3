"""Relay: draining a backlog against a bare serialize-and-produce loop, and its latency."""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from bench.report import Measure, rounded
from bench.services import REPO_ROOT, BenchStack, bench_stack, create_topic
from contract.event_schema import EventContract
from contract.subjects import user_events_folder, value_subject
from platform_common.database import libpq_url
from producer_api.database import migrate, open_engine
from producer_api.events import NewUser, user_created_event, user_created_kind
from producer_api.outbox.wakeup import RelayWaker
from producer_api.outbox.write import insert_from
from producer_api.relay.delivery import (
    EVENT_ID_HEADER,
    DeliveryFailures,
    RecordHeaders,
    produce_record,
    producer_config,
)
from producer_api.relay.service import Relay
from producer_api.settings import ApiSettings, RelaySettings
from producer_api.users import insert_user_with_event

BACKLOG = 100_000
DRAIN_ROUNDS = 5
# Produced or drained before each side's clock starts: connections, producer id, schema.
WARMUP_EVENTS = 5_000
LATENCY_EVENTS = 1_000
# Events sent before either latency is measured: the first ones pay for connections, the
# producer's id and the partition leader's metadata, which is start-up, not steady state.
LATENCY_WARMUP = 50
LATENCY_RATE = 200.0  # events per second: "a moderate rate"
# Where a record carries its event's id: the relay's header, and Debezium's outbox router's.
EVENT_ID_HEADERS = ("event_id", "id")
CONTRACT_DIR = user_events_folder(REPO_ROOT / "schemas")

# The backlog as the API would have written it, generated in the database.
_BACKLOG_EVENTS = """
    SELECT gen_random_uuid() AS event_id, n AS aggregate_id,
           jsonb_build_object(
               'event_id', gen_random_uuid()::text, 'event_time', 1795600000000 + n,
               'user_id', n, 'country_code', 'BE', 'created_at', 1609459200000,
               'is_a_dog', n % 2 = 0, 'signup_channel', 'api') AS payload
    FROM generate_series(1, :count) AS n
"""


def run() -> list[Measure]:
    with bench_stack() as stack:
        engine = open_engine(stack.database_url)
        migrate(engine)
        try:
            # Alternate rounds, so both sides see the same machine, and take each side's
            # median: on 2 cores a single round of either can be off by a third. The first
            # round is not counted: the broker's JIT made its bare loop a fifth slower.
            bare_rates, relay_rates = [], []
            for round_number in range(DRAIN_ROUNDS + 1):
                bare = _bare_loop(stack, _topic(stack, f"bench-bare-{round_number}"))
                relay_topic = _topic(stack, f"bench-relay-{round_number}")
                drained = _drain_backlog(stack, engine, relay_topic)
                if round_number:
                    bare_rates.append(bare)
                    relay_rates.append(drained)
            print(f"drain events/s by round: {rounded(relay_rates)}; bare: {rounded(bare_rates)}")
            baseline = statistics.median(bare_rates)
            ours = statistics.median(relay_rates)
            latency, direct = _latency(stack, engine, _topic(stack, "bench-latency"))
        finally:
            engine.dispose()
    return [
        Measure(
            "relay drain of a 100k backlog",
            "events/s",
            ours,
            baseline,
            "serialize + produce the same events from memory, events/s",
            0.5,
        ),
        Measure(
            "relay latency commit -> consumer, p99",
            "ms",
            latency[1],
            direct[1],
            "produce -> consumer without the outbox, p99 ms",
            goal=100.0,
            direction="max",
            absolute_max=50.0,
        ),
        Measure(
            "relay latency commit -> consumer, p50",
            "ms",
            latency[0],
            direct[0],
            "produce -> consumer without the outbox, p50 ms",
            goal=100.0,
            direction="max",
        ),
    ]


def _topic(stack: BenchStack, name: str) -> str:
    client = SchemaRegistryClient({"url": stack.registry_url})
    for number in (1, 2):
        text = (CONTRACT_DIR / f"{number}.avsc").read_text()
        client.register_schema(value_subject(name), Schema(text, "AVRO"))
    client.close()
    return name


def _settings(stack: BenchStack, topic: str) -> RelaySettings:
    return RelaySettings.model_validate(
        {
            "DATABASE_URL": stack.database_url,
            "KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap,
            "REGISTRY_URL": stack.registry_url,
            "EVENTS_TOPIC": topic,
            "EVENT_SCHEMA_DIR": CONTRACT_DIR,
            "metrics_port": 0,
        }
    )


def _producer(settings: RelaySettings) -> Producer:
    """A producer configured as the relay's."""
    return Producer(producer_config(settings, DeliveryFailures()))


def _bare_loop(stack: BenchStack, topic: str) -> float:
    """The same records as the relay's (key, value, event id header), from memory."""
    settings = _settings(stack, topic)
    contract = EventContract.from_folder(CONTRACT_DIR, subject=value_subject(topic))
    client = SchemaRegistryClient({"url": stack.registry_url})
    serializer = AvroSerializer(client, contract.text, conf={"auto.register.schemas": False})
    producer = _producer(settings)
    context = SerializationContext(topic, MessageField.VALUE)

    def produce(events: list[dict[str, Any]]) -> None:
        for event in events:
            value = serializer(event, context)
            headers: RecordHeaders = [(EVENT_ID_HEADER, event["event_id"].encode())]
            produce_record(producer, topic, str(event["user_id"]), value, headers)
            producer.poll(0)
        producer.flush(60)

    produce([_event(n) for n in range(WARMUP_EVENTS)])
    events = [_event(n) for n in range(BACKLOG)]
    began = time.perf_counter()
    produce(events)
    elapsed = time.perf_counter() - began
    client.close()
    print(f"bare loop: {BACKLOG} events in {elapsed:.2f} s")
    return BACKLOG / elapsed


def _drain_backlog(stack: BenchStack, engine: sa.Engine, topic: str) -> float:
    relay = Relay(_settings(stack, topic))
    # A running relay drains a backlog: its connections, producer id and schema come first.
    _fill(engine, topic, WARMUP_EVENTS)
    _drain(relay, WARMUP_EVENTS)
    _fill(engine, topic, BACKLOG)
    began = time.perf_counter()
    _drain(relay, BACKLOG)
    elapsed = time.perf_counter() - began
    relay.close()
    print(f"relay: {BACKLOG} events in {elapsed:.2f} s")
    return BACKLOG / elapsed


def _fill(engine: sa.Engine, topic: str, count: int) -> None:
    contract = EventContract.from_folder(CONTRACT_DIR, subject=value_subject(topic), version=2)
    kind = user_created_kind(contract, topic)
    with engine.begin() as connection:
        connection.execute(sa.text(insert_from(_BACKLOG_EVENTS, kind)), {"count": count})
        connection.execute(sa.text("ANALYZE outbox"))


def _drain(relay: Relay, count: int) -> None:
    sent = 0
    while sent < count:
        sent += relay.drain()


def _event(n: int) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "event_time": 1_795_600_000_000 + n,
        "user_id": n,
        "country_code": "BE",
        "created_at": 1_609_459_200_000,
        "is_a_dog": n % 2 == 0,
        "signup_channel": "api",
    }


def _latency(
    stack: BenchStack, engine: sa.Engine, topic: str
) -> tuple[tuple[float, float], tuple[float, float]]:
    """p50/p99 ms from commit (or produce, for the baseline) until a consumer has the record."""
    settings = _settings(stack, topic)
    # The topic exists before anyone writes it (no auto-creation inside the measure), and
    # the reader owns its partition once a marker written directly has come back.
    create_topic(stack, topic, partitions=1)
    received: dict[str, float] = {}
    reader = start_reader(stack, topic, received)
    producer = _producer(settings)
    direct_until_received(producer, topic, received)
    relay = Relay(settings)
    runner = threading.Thread(target=relay.run, daemon=True)
    runner.start()
    # Woken as the API wakes it, at the API's default pace.
    wake_interval_ms = ApiSettings.model_fields["wake_interval_ms"].default
    waker = RelayWaker(libpq_url(engine.url), interval=wake_interval_ms / 1000)
    time.sleep(1.0)  # relay listening
    ours = commit_latencies(engine, topic, received, after_commit=waker.poke)
    relay.stop()
    runner.join(30)
    relay.close()

    sent_at: dict[str, float] = {}
    for _ in range(LATENCY_WARMUP + LATENCY_EVENTS):
        started = time.perf_counter()
        marker = str(uuid.uuid4())
        producer.produce(topic, key=b"k", value=b"x", headers=[("event_id", marker.encode())])
        producer.poll(0)
        sent_at[marker] = time.perf_counter()
        time.sleep(max(0.0, 1 / LATENCY_RATE - (time.perf_counter() - started)))
    producer.flush(30)
    _wait_for(received, sent_at, 30)
    reader.stop.set()
    direct = _percentiles(
        [received[key] - sent_at[key] for key in list(sent_at)[LATENCY_WARMUP:] if key in received]
    )
    print(f"latency p50/p99 ms: relay {ours}, direct {direct}")
    return ours, direct


class Reader(threading.Thread):
    def __init__(self, stack: BenchStack, topic: str, received: dict[str, float]) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.consumer = Consumer(
            {
                "bootstrap.servers": stack.kafka_bootstrap,
                "group.id": f"bench-{uuid.uuid4().hex}",
                "auto.offset.reset": "latest",
                "fetch.wait.max.ms": 5,
            }
        )
        self.consumer.subscribe([topic])
        self.received = received

    def run(self) -> None:
        while not self.stop.is_set():
            message = self.consumer.poll(0.1)
            if message is None or message.error() is not None:
                continue
            headers = message.headers() or []
            pairs = list(headers.items()) if isinstance(headers, dict) else list(headers)
            for name, value in pairs:
                if name in EVENT_ID_HEADERS and isinstance(value, bytes):
                    self.received[value.decode().strip('"')] = time.perf_counter()
        self.consumer.close()


def commit_latencies(
    engine: sa.Engine,
    topic: str,
    received: dict[str, float],
    *,
    after_commit: Callable[[], None] | None = None,
) -> tuple[float, float]:
    """p50/p99 ms from each user's commit (user and outbox row, as the API writes them, at
    `LATENCY_RATE`) until ``received`` has its event id: a reader of ``topic`` fills it."""
    contract = EventContract.from_folder(CONTRACT_DIR, subject=value_subject(topic))
    kind = user_created_kind(contract, topic)
    committed: dict[str, float] = {}
    for _ in range(LATENCY_WARMUP + LATENCY_EVENTS):
        started = time.perf_counter()
        user = NewUser(f"b-{uuid.uuid4().hex}", "BE", datetime(2021, 1, 1, tzinfo=UTC), False)
        event_id = uuid.uuid4()
        event = contract.conform(
            user_created_event(user, event_id=event_id, event_time=datetime.now(UTC))
        )
        with engine.begin() as connection:
            insert_user_with_event(connection, user, event=event, event_id=event_id, kind=kind)
        committed[str(event_id)] = time.perf_counter()
        if after_commit is not None:
            after_commit()
        time.sleep(max(0.0, 1 / LATENCY_RATE - (time.perf_counter() - started)))
    _wait_for(received, committed, 30)
    return _percentiles(
        [
            received[key] - committed[key]
            for key in list(committed)[LATENCY_WARMUP:]
            if key in received
        ]
    )


def direct_until_received(producer: Producer, topic: str, received: dict[str, float]) -> None:
    """Write markers straight to the topic until the reader has one: it is positioned."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        marker = f"warmup-{uuid.uuid4()}"
        producer.produce(topic, key=b"k", value=b"x", headers=[("event_id", marker.encode())])
        producer.flush(10)
        until = time.monotonic() + 1.0
        while time.monotonic() < until:
            if marker in received:
                return
            time.sleep(0.01)
    raise RuntimeError("the latency reader never received a record")


def start_reader(stack: BenchStack, topic: str, received: dict[str, float]) -> Reader:
    reader = Reader(stack, topic, received)
    reader.start()
    return reader


def _wait_for(received: dict[str, float], expected: dict[str, float], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not set(expected) <= set(received):
        time.sleep(0.1)


def _percentiles(seconds: list[float]) -> tuple[float, float]:
    ordered = sorted(seconds)
    if not ordered:
        return (float("nan"), float("nan"))
    p50 = ordered[len(ordered) // 2] * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    return (round(p50, 1), round(p99, 1))


def main() -> None:
    for measure in run():
        print(measure)


if __name__ == "__main__":
    main()
