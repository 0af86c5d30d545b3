"""The lake writer against a real broker and registry: every event once, bad ones aside."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest
from confluent_kafka import Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from prometheus_client import REGISTRY

from consumer.lake import open_catalog
from consumer.runner import LakeWriter
from consumer.sink import estimate_record_size
from consumer.sink.layout import parse_file_name
from tests.conftest import distinct_free_ports
from tests.integration.consumer.support import (
    CONTRACT,
    EVENTS,
    dead_letters,
    land_versions,
    maintain_now,
    make_event,
    produce_bad,
    produce_mixed,
    run_until,
    settings_for,
    v2_topic,
)
from tests.lake import landed_rows, rows_in, table_rows


def test_a_reader_pinned_to_v1_reads_v2_events(
    kafka_bootstrap: str, lake_registry: str, topic: str, tmp_path: Path
) -> None:
    versions = produce_mixed(kafka_bootstrap, lake_registry, topic)
    lake = tmp_path / "lake"
    settings = settings_for(
        kafka_bootstrap, lake_registry, topic, lake, reader_schema=CONTRACT / "1.avsc"
    )
    run_until(settings, lambda _writer: len(rows_in(lake, topic)) >= EVENTS, 60)
    rows = rows_in(lake, topic)
    assert sorted(row["event_id"] for row in rows) == sorted(versions)
    assert all("signup_channel" not in row for row in rows)  # v2's added field is ignored


@pytest.mark.parametrize("lake_format", ["parquet", "iceberg"])
def test_three_records_then_silence_are_readable_within_the_age_limit(
    kafka_bootstrap: str, lake_registry: str, topic: str, tmp_path: Path, lake_format: str
) -> None:
    lake = tmp_path / "lake"
    settings = settings_for(
        kafka_bootstrap, lake_registry, topic, lake, max_age_seconds=2.0, format=lake_format
    )
    with v2_topic(kafka_bootstrap, lake_registry, topic, partitions=1) as serialize:
        values = [serialize(make_event(n, 2)) for n in range(3)]
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    # The writer runs first and has caught up, so the clock starts with the records.
    produced_at: list[float] = []
    seen_at: list[float] = []

    def produce_then_watch(writer: LakeWriter) -> bool:
        # Produce once the writer owns the partition, then watch the lake.
        if not produced_at and writer.assigned:
            for value in values:
                producer.produce(topic, value=value)
            producer.flush(10)
            produced_at.append(time.monotonic())
        if produced_at and not seen_at and landed_rows(settings) >= 3:
            seen_at.append(time.monotonic())
        return bool(seen_at)

    run_until(settings, produce_then_watch, 30)
    assert landed_rows(settings) == 3
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
            producer.produce(
                this_topic, value=serializers[version](make_event(n, version), context)
            )
        assert producer.flush(30) == 0
        client.close()
        lake = tmp_path / name.replace(" ", "-")
        settings = settings_for(
            kafka_bootstrap,
            lake_registry,
            this_topic,
            lake,
            max_age_seconds=30.0,
            **_PER_FILE[boundary],
        )

        def landed(_writer: LakeWriter, lake: Path = lake, landed_topic: str = this_topic) -> bool:
            return len(rows_in(lake, landed_topic)) >= 10_000

        run_until(settings, landed, 60)
        counts[name] = len(list(lake.rglob("part-*.parquet")))
        names = [parse_file_name(path.name) for path in lake.rglob("part-*.parquet")]
        ranges[name] = sorted((n.first_offset, n.last_offset) for n in names if n is not None)
        assert len(rows_in(lake, this_topic)) == 10_000
    assert counts["mixed"] == counts["v2 only"] == 10
    # One partition: contiguous, non-overlapping ranges that cover every offset.
    assert ranges["mixed"] == [(n * 1000, n * 1000 + 999) for n in range(10)]


def test_mixed_writers_land_once_and_bad_records_go_to_the_dead_letter_topic(
    kafka_bootstrap: str, lake_registry: str, topic: str, tmp_path: Path
) -> None:
    versions = produce_mixed(kafka_bootstrap, lake_registry, topic)
    produce_bad(kafka_bootstrap, lake_registry, topic)
    lake = tmp_path / "lake"
    land_versions(kafka_bootstrap, lake_registry, topic, lake, versions)
    letters = dead_letters(kafka_bootstrap, topic, 2)
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


def s3_bucket(endpoint: str, bucket: str, monkeypatch: pytest.MonkeyPatch) -> pafs.S3FileSystem:
    """A new bucket on moto's server, with the credentials its clients read from the
    environment; the filesystem that reaches it."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    s3 = pafs.S3FileSystem(
        endpoint_override=endpoint, scheme="http", region="us-east-1", allow_bucket_creation=True
    )
    s3.create_dir(bucket)
    return s3


def test_an_s3_lake_gets_each_event_once_and_a_restart_resumes_from_its_objects(
    kafka_bootstrap: str,
    lake_registry: str,
    topic: str,
    s3_endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    s3 = s3_bucket(s3_endpoint, "lake-bucket", monkeypatch)
    versions = produce_mixed(kafka_bootstrap, lake_registry, topic)
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

    settings = settings_for(kafka_bootstrap, lake_registry, topic, Path("unused"), output=uri)
    run_until(settings, lambda _writer: len(s3_rows()) >= EVENTS, 60)
    first_run = objects()
    # A new group has no committed offsets: only the objects say where to resume.
    again = settings_for(kafka_bootstrap, lake_registry, topic, Path("unused"), output=uri)
    run_until(again, lambda writer: bool(writer.assigned), 30)

    rows = s3_rows()
    assert sorted(row["event_id"] for row in rows) == sorted(versions)
    assert objects() == first_run
    assert all(path.rsplit("/", 1)[-1].startswith("part-") for path in first_run)
    assert all("/event_date=" in path for path in first_run)


def test_lag_per_partition_is_reported_and_falls_to_zero(
    kafka_bootstrap: str, lake_registry: str, topic: str, tmp_path: Path
) -> None:
    produce_mixed(kafka_bootstrap, lake_registry, topic)
    lake = tmp_path / "lake"
    settings = settings_for(kafka_bootstrap, lake_registry, topic, lake)
    seen: list[float] = []

    def caught_up(writer: LakeWriter) -> bool:
        lags = [
            REGISTRY.get_sample_value("consumer_partition_lag", {"partition": str(partition)})
            for partition in writer.assigned
        ]
        seen.extend(lag for lag in lags if lag is not None)
        return bool(writer.assigned) and lags == [0.0] * len(lags)

    run_until(settings, caught_up, 60)
    assert seen and seen[-1] == 0.0
    # A partition the writer no longer owns has no lag to report.
    assert REGISTRY.get_sample_value("consumer_partition_lag", {"partition": "0"}) is None


def test_an_iceberg_table_on_s3_gets_each_event_once_and_maintenance_works_there(
    kafka_bootstrap: str,
    lake_registry: str,
    topic: str,
    s3_endpoint: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    s3_bucket(s3_endpoint, "table-bucket", monkeypatch)
    versions = produce_mixed(kafka_bootstrap, lake_registry, topic)
    settings = settings_for(
        kafka_bootstrap,
        lake_registry,
        topic,
        Path("unused"),
        format="iceberg",
        output=f"s3://table-bucket/lake?endpoint_override={s3_endpoint}&scheme=http&region=us-east-1",
        catalog_url=f"sqlite:///{tmp_path / 'catalog.db'}",
        max_records=2000,
    )
    run_until(settings, lambda _writer: len(table_rows(settings)) >= EVENTS, 60)
    assert sorted(str(row["event_id"]) for row in table_rows(settings)) == sorted(versions)
    with closing(open_catalog(settings)) as catalog:
        table = catalog.load_table(("lake", topic))
        assert table.location().startswith("s3://table-bucket/lake/")
        report = maintain_now(table, topic)
    assert report.files_compacted >= 2
    assert report.orphans_removed >= 1  # the data files the compaction replaced
    assert sorted(str(row["event_id"]) for row in table_rows(settings)) == sorted(versions)
