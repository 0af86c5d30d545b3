"""The lake writer against a real broker and registry: every event once, bad ones aside."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from prometheus_client import REGISTRY

from consumer.runner import LakeWriter
from consumer.settings import ConsumerSettings
from consumer.sink import estimate_record_size
from consumer.sink.layout import parse_file_name
from tests.conftest import REPO_ROOT, distinct_free_ports, start_sqlite_registry

CONTRACT = REPO_ROOT / "schemas" / "user-events-value"
EVENTS = 10_000


@pytest.fixture(scope="module")
def lake_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = start_sqlite_registry(tmp_path_factory.mktemp("lake-registry"))
    yield app.url
    app.process.stop(timeout=20.0)


def _event(n: int, version: int) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "event_time": 1_795_600_000_000 + n,
        "user_id": n,
        "country_code": "BE",
        "created_at": 1_609_459_200_000,
        "is_a_dog": n % 2 == 0,
    }
    if version == 2:
        event["signup_channel"] = "web"
    return event


def _produce_mixed(bootstrap: str, registry_url: str, topic: str) -> dict[str, int]:
    """EVENTS events from v1 and v2 writers, interleaved; returns event id → version."""
    client = SchemaRegistryClient({"url": registry_url})
    client.set_compatibility(f"{topic}-value", "FULL_TRANSITIVE")
    serializers = {}
    for version in (1, 2):
        text = (CONTRACT / f"{version}.avsc").read_text()
        client.register_schema(f"{topic}-value", Schema(text, "AVRO"))
        serializers[version] = AvroSerializer(client, text, conf={"auto.register.schemas": False})
    context = SerializationContext(topic, MessageField.VALUE)
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    versions: dict[str, int] = {}
    for n in range(EVENTS):
        version = 1 if n % 3 == 0 else 2
        event = _event(n, version)
        producer.produce(topic, key=str(n).encode(), value=serializers[version](event, context))
        versions[event["event_id"]] = version
    assert producer.flush(30) == 0
    client.close()
    return versions


def _produce_bad(bootstrap: str, registry_url: str, topic: str) -> None:
    """A record of random bytes, and one written with a schema the reader cannot read."""
    client = SchemaRegistryClient({"url": registry_url})
    other = f"incompatible-{topic}"
    client.set_compatibility(other, "NONE")
    breaking = {
        "type": "record",
        "name": "UserCreated",
        "namespace": "eventplatform.users",
        "fields": [{"name": "event_id", "type": "long"}],
    }
    schema_id = client.register_schema(other, Schema(json.dumps(breaking), "AVRO"))
    client.close()
    incompatible = b"\x00" + schema_id.to_bytes(4, "big") + b"\x02"
    producer = Producer({"bootstrap.servers": bootstrap})
    producer.produce(topic, key=b"bad-1", value=b"\x07random bytes, no framing")
    producer.produce(topic, key=b"bad-2", value=incompatible)
    assert producer.flush(30) == 0


def _rows(lake: Path, topic: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in sorted((lake / topic).glob("event_date=*/part-*.parquet")):
        rows += pq.read_table(path).to_pylist()
    return rows


def _dead_letters(bootstrap: str, topic: str, expected: int) -> list[dict[str, bytes]]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"dlq-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([f"{topic}.dlq"])
    found: list[dict[str, bytes]] = []
    deadline = time.monotonic() + 30
    try:
        while len(found) < expected and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error() is not None:
                continue
            raw = message.headers() or []
            pairs = list(raw.items()) if isinstance(raw, dict) else list(raw)
            found.append(
                {k: v.encode() if isinstance(v, str) else bytes(v or b"") for k, v in pairs}
            )
    finally:
        consumer.close()
    return found


def _settings(
    bootstrap: str, registry_url: str, topic: str, lake: Path, **overrides: Any
) -> ConsumerSettings:
    return ConsumerSettings.model_validate(
        {
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "REGISTRY_URL": registry_url,
            "EVENTS_TOPIC": topic,
            "reader_schema": CONTRACT / "2.avsc",
            "output": str(lake),
            "group_id": f"lake-{uuid.uuid4().hex}",
            "max_age_seconds": 1.0,
            "metrics_port": 0,
            **overrides,
        }
    )


def _run_until(
    settings: ConsumerSettings, done: Callable[[LakeWriter], bool], timeout: float
) -> None:
    """Run a lake writer in a thread until ``done(writer)`` or ``timeout``, then stop it."""
    writer = LakeWriter(settings)
    stop = threading.Event()
    thread = threading.Thread(target=writer.run, args=(stop.is_set,), daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not done(writer) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(30)


def test_a_reader_pinned_to_v1_reads_v2_events(
    kafka_bootstrap: str, lake_registry: str, topic: str, tmp_path: Path
) -> None:
    versions = _produce_mixed(kafka_bootstrap, lake_registry, topic)
    lake = tmp_path / "lake"
    settings = _settings(
        kafka_bootstrap, lake_registry, topic, lake, reader_schema=CONTRACT / "1.avsc"
    )
    _run_until(settings, lambda _writer: len(_rows(lake, topic)) >= EVENTS, 60)
    rows = _rows(lake, topic)
    assert sorted(row["event_id"] for row in rows) == sorted(versions)
    assert all("signup_channel" not in row for row in rows)  # v2's added field is ignored


def test_three_records_then_silence_are_readable_within_the_age_limit(
    kafka_bootstrap: str, lake_registry: str, topic: str, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    settings = _settings(kafka_bootstrap, lake_registry, topic, lake, max_age_seconds=2.0)
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=1)])[topic].result(timeout=30)
    client = SchemaRegistryClient({"url": lake_registry})
    text = (CONTRACT / "2.avsc").read_text()
    client.register_schema(f"{topic}-value", Schema(text, "AVRO"))
    serializer = AvroSerializer(client, text, conf={"auto.register.schemas": False})
    context = SerializationContext(topic, MessageField.VALUE)
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    # The writer runs first and has caught up, so the clock starts with the records.
    produced_at: list[float] = []
    seen_at: list[float] = []

    def produce_then_watch(writer: LakeWriter) -> bool:
        # Produce once the writer owns the partition, then watch the lake.
        if not produced_at and writer.assigned:
            for n in range(3):
                producer.produce(topic, value=serializer(_event(n, 2), context))
            producer.flush(10)
            produced_at.append(time.monotonic())
        if produced_at and not seen_at and len(_rows(lake, topic)) >= 3:
            seen_at.append(time.monotonic())
        return bool(seen_at)

    _run_until(settings, produce_then_watch, 30)
    client.close()
    assert len(_rows(lake, topic)) == 3
    assert seen_at, "the 3 records never became readable"
    assert seen_at[0] - produced_at[0] <= 2.0 + 1.0


# 1000 records close a file either way: by their count, or by their estimated bytes.
_PER_FILE = {
    "count": {"max_records": 1000},
    "bytes": {
        "max_records": 50_000,
        "max_bytes": 1000 * estimate_record_size(json.loads((CONTRACT / "2.avsc").read_text())),
    },
}


@pytest.mark.parametrize("boundary", sorted(_PER_FILE))
def test_alternating_writers_make_no_more_files_than_one_writer(
    kafka_bootstrap: str, lake_registry: str, topic: str, tmp_path: Path, boundary: str
) -> None:
    counts: dict[str, int] = {}
    ranges: dict[str, list[tuple[int, int]]] = {}
    for name, pattern in (("mixed", (1, 2)), ("v2 only", (2,))):
        this_topic = f"{topic}-{len(counts)}"
        client = SchemaRegistryClient({"url": lake_registry})
        serializers = {}
        for version in (1, 2):
            text = (CONTRACT / f"{version}.avsc").read_text()
            client.register_schema(f"{this_topic}-value", Schema(text, "AVRO"))
            serializers[version] = AvroSerializer(
                client, text, conf={"auto.register.schemas": False}
            )
        context = SerializationContext(this_topic, MessageField.VALUE)
        producer = Producer({"bootstrap.servers": kafka_bootstrap})
        for n in range(10_000):
            version = pattern[n % len(pattern)]
            producer.produce(this_topic, value=serializers[version](_event(n, version), context))
        assert producer.flush(30) == 0
        client.close()
        lake = tmp_path / name.replace(" ", "-")
        settings = _settings(
            kafka_bootstrap,
            lake_registry,
            this_topic,
            lake,
            max_age_seconds=30.0,
            **_PER_FILE[boundary],
        )

        def landed(_writer: LakeWriter, lake: Path = lake, landed_topic: str = this_topic) -> bool:
            return len(_rows(lake, landed_topic)) >= 10_000

        _run_until(settings, landed, 60)
        counts[name] = len(list(lake.rglob("part-*.parquet")))
        names = [parse_file_name(path.name) for path in lake.rglob("part-*.parquet")]
        ranges[name] = sorted((n.first_offset, n.last_offset) for n in names if n is not None)
        assert len(_rows(lake, this_topic)) == 10_000
    assert counts["mixed"] == counts["v2 only"] == 10
    # One partition: contiguous, non-overlapping ranges that cover every offset.
    assert ranges["mixed"] == [(n * 1000, n * 1000 + 999) for n in range(10)]


def test_mixed_writers_land_once_and_bad_records_go_to_the_dead_letter_topic(
    kafka_bootstrap: str, lake_registry: str, topic: str, tmp_path: Path
) -> None:
    versions = _produce_mixed(kafka_bootstrap, lake_registry, topic)
    _produce_bad(kafka_bootstrap, lake_registry, topic)
    lake = tmp_path / "lake"
    settings = ConsumerSettings.model_validate(
        {
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "REGISTRY_URL": lake_registry,
            "EVENTS_TOPIC": topic,
            "reader_schema": CONTRACT / "2.avsc",
            "output": str(lake),
            "group_id": f"lake-{uuid.uuid4().hex}",
            "max_age_seconds": 1.0,
            "metrics_port": 0,
        }
    )
    writer = LakeWriter(settings)
    stop = threading.Event()
    thread = threading.Thread(target=writer.run, args=(stop.is_set,), daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while len(_rows(lake, topic)) < EVENTS and time.monotonic() < deadline:
        time.sleep(0.5)
    stop.set()
    thread.join(30)

    rows = _rows(lake, topic)
    assert sorted(row["event_id"] for row in rows) == sorted(versions)
    for row in rows:
        expected_channel = "api" if versions[row["event_id"]] == 1 else "web"
        assert row["signup_channel"] == expected_channel  # v1 events get v2's default
    letters = _dead_letters(kafka_bootstrap, topic, 2)
    assert sorted(letter["dlq.reason"] for letter in letters) == [
        b"incompatible_schema",
        b"undecodable",
    ]
    assert {letter["dlq.source.topic"] for letter in letters} == {topic.encode()}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server as its own process on a free loopback port."""
    port = distinct_free_ports(1)[0]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("moto's S3 server did not start") from None
            time.sleep(0.1)
    yield endpoint
    server.terminate()
    server.wait(20)


def test_an_s3_lake_gets_each_event_once_and_a_restart_resumes_from_its_objects(
    kafka_bootstrap: str,
    lake_registry: str,
    topic: str,
    s3_endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    s3 = pafs.S3FileSystem(
        endpoint_override=s3_endpoint, scheme="http", region="us-east-1", allow_bucket_creation=True
    )
    s3.create_dir("lake-bucket")
    versions = _produce_mixed(kafka_bootstrap, lake_registry, topic)
    uri = f"s3://lake-bucket/lake?endpoint_override={s3_endpoint}&scheme=http&region=us-east-1"

    def objects() -> list[str]:
        selector = pafs.FileSelector(
            f"lake-bucket/lake/{topic}", recursive=True, allow_not_found=True
        )
        return sorted(i.path for i in s3.get_file_info(selector) if i.type == pafs.FileType.File)

    def s3_rows() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for path in objects():
            rows += pq.read_table(path, filesystem=s3).to_pylist()
        return rows

    settings = _settings(kafka_bootstrap, lake_registry, topic, Path("unused"), output=uri)
    _run_until(settings, lambda _writer: len(s3_rows()) >= EVENTS, 60)
    first_run = objects()
    # A new group has no committed offsets: only the objects say where to resume.
    again = _settings(kafka_bootstrap, lake_registry, topic, Path("unused"), output=uri)
    _run_until(again, lambda writer: bool(writer.assigned), 30)

    rows = s3_rows()
    assert sorted(row["event_id"] for row in rows) == sorted(versions)
    assert objects() == first_run
    assert all(path.rsplit("/", 1)[-1].startswith("part-") for path in first_run)
    assert all("/event_date=" in path for path in first_run)


def test_lag_per_partition_is_reported_and_falls_to_zero(
    kafka_bootstrap: str, lake_registry: str, topic: str, tmp_path: Path
) -> None:
    _produce_mixed(kafka_bootstrap, lake_registry, topic)
    lake = tmp_path / "lake"
    settings = _settings(kafka_bootstrap, lake_registry, topic, lake)
    seen: list[float] = []

    def caught_up(writer: LakeWriter) -> bool:
        lags = [
            REGISTRY.get_sample_value("consumer_partition_lag", {"partition": str(partition)})
            for partition in writer.assigned
        ]
        seen.extend(lag for lag in lags if lag is not None)
        return bool(writer.assigned) and lags == [0.0] * len(lags)

    _run_until(settings, caught_up, 60)
    assert seen and seen[-1] == 0.0
    # A partition the writer no longer owns has no lag to report.
    assert REGISTRY.get_sample_value("consumer_partition_lag", {"partition": "0"}) is None
