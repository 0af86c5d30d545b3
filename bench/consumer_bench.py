"""Lake writer: events/s to Parquet against a raw consume + fastavro decode of the same topic;
events/s into an Iceberg table against the Parquet path and against a bare loop (fastavro
decode, Arrow tables, pyiceberg's append per batch of the same size); peak memory of both
over a million events."""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import fastavro
import pyarrow as pa
from confluent_kafka import Consumer
from confluent_kafka.admin import AdminClient

from bench.lake import CONTRACT, AvroTopicWriter, bench_catalog, table_rows, user_event
from bench.report import Measure
from bench.services import BenchStack, bench_stack, create_topic
from consumer.settings import ConsumerSettings
from consumer.sink.iceberg import TableName, open_table
from consumer.sink.layout import parse_file_name
from contract.metrics import CONSUMER_RECORDS, Exposition, fetch_text
from stack.apps import ConsumerApp
from stack.runner import start_service
from stack.settings import StackSettings

EVENTS = 1_000_000
# The lake writer's default batch (CONSUMER_MAX_RECORDS), for the bare loop too.
BATCH = ConsumerSettings.model_fields["max_records"].default
PARTITIONS = 3
ROUNDS = 3


def run() -> list[Measure]:
    with bench_stack() as stack:
        topic = f"bench-lake-{uuid.uuid4().hex[:6]}"
        _produce(stack, topic)
        baseline = _raw_consume(stack, topic)
        # Parquet and Iceberg writers in alternating rounds, each round from the topic's
        # start into a lake of its own: the fastest round of each (a run's first is often
        # slowed by the broker's cold cache), and the highest peak memory.
        runs: dict[str, list[tuple[float, float]]] = {"parquet": [], "iceberg": []}
        for round_number in range(ROUNDS):
            for lake_format in runs:
                runs[lake_format].append(_lake_writer(stack, topic, lake_format, round_number))
                _forget_group(stack)
        ours, peak_rss = _best(runs["parquet"])
        iceberg, iceberg_rss = _best(runs["iceberg"])
        bare = _bare_iceberg_loop(stack, topic)
    return [
        Measure(
            "consumer to Parquet, 1M events",
            "events/s",
            ours,
            baseline,
            "raw consume + fastavro decode of the same topic, events/s",
            0.6,
        ),
        Measure(
            "consumer peak RSS over 1M events",
            "MB",
            peak_rss,
            300.0,
            "the goal, 300 MB",
            1.0,
            direction="max",
            absolute_max=300.0,
        ),
        Measure(
            "consumer to Iceberg, 1M events",
            "events/s",
            iceberg,
            ours,
            "the same writer to Parquet files, events/s",
            0.9,
        ),
        Measure(
            "consumer to Iceberg vs a bare pyiceberg loop",
            "events/s",
            iceberg,
            bare,
            f"fastavro decode + Arrow table + pyiceberg append per {BATCH} events, events/s",
            1.0,
        ),
        Measure(
            "consumer peak RSS over 1M events (Iceberg)",
            "MB",
            iceberg_rss,
            300.0,
            "the goal, 300 MB",
            1.0,
            direction="max",
            absolute_max=300.0,
        ),
    ]


def _produce(stack: BenchStack, topic: str) -> None:
    create_topic(stack, topic, partitions=PARTITIONS)
    writer = AvroTopicWriter(stack, topic)
    began = time.perf_counter()
    for n in range(EVENTS):
        event = user_event(n, event_time=1_795_600_000_000 + n)
        writer.produce(topic, str(n).encode(), writer.serialize(event))
    writer.close()
    print(f"produced {EVENTS} events in {time.perf_counter() - began:.1f} s")


class _Clock:
    """When the first record arrived: a loop's clock starts there, not at its group join."""

    began: float | None = None

    def elapsed(self) -> float:
        return time.perf_counter() - (self.began or time.perf_counter())


def _decoded(stack: BenchStack, topic: str, clock: _Clock) -> Iterator[tuple[int, Any]]:
    """The topic's EVENTS records from the start, each decoded with fastavro, with its
    partition: a consumer of a group of its own."""
    schema = fastavro.parse_schema(json.loads((CONTRACT / "2.avsc").read_text()))
    consumer = Consumer(
        {
            "bootstrap.servers": stack.kafka_bootstrap,
            "group.id": f"bench-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    seen = 0
    try:
        while seen < EVENTS:
            for message in consumer.consume(num_messages=1000, timeout=1.0):
                if message.error() is not None:
                    continue
                if clock.began is None:
                    clock.began = time.perf_counter()
                value = message.value()
                assert value is not None
                yield (
                    message.partition() or 0,
                    fastavro.schemaless_reader(io.BytesIO(value[5:]), schema, schema),
                )
                seen += 1
    finally:
        consumer.close()


def _raw_consume(stack: BenchStack, topic: str) -> float:
    clock = _Clock()
    decoded = sum(1 for _ in _decoded(stack, topic, clock))
    elapsed = clock.elapsed()
    print(f"raw consume + decode: {decoded} events in {elapsed:.1f} s")
    return decoded / elapsed


def _best(rounds: list[tuple[float, float]]) -> tuple[float, float]:
    """The best rate of the rounds and the highest peak memory."""
    return max(rate for rate, _ in rounds), max(rss for _, rss in rounds)


def _lake_writer(
    stack: BenchStack, topic: str, lake_format: str, round_number: int
) -> tuple[float, float]:
    """Events/s from the first record until all are in the lake, and the peak RSS.

    The writer is stopped (SIGTERM) once it has consumed every event, so the last files
    close on shutdown rather than on the age limit: the clock measures work, not a timer.
    """
    lake = stack.settings.stack_dir / f"lake-{lake_format}-{round_number}"
    settings = stack.settings.model_copy(
        update={"events_topic": topic, "consumer_output": str(lake), "consumer_format": lake_format}
    )
    writer = _RoundWriter(settings, _catalog_schema(lake_format, round_number))
    start_service(writer, echo=print)
    record = writer.process.running()
    assert record is not None
    peak = _PeakRss(record.pid)
    metrics_url = f"http://127.0.0.1:{settings.consumer_metrics_port}/metrics"
    try:
        # The clock starts when the writer owns its partitions, as the raw loop's does at
        # its first record: group joins are not what is measured.
        while "partition_assigned" not in writer.process.log_file.read_text(errors="replace"):
            time.sleep(0.01)
        began = time.perf_counter()
        while _consumed(metrics_url) < EVENTS:
            peak.sample()
            # Each read of /metrics costs the writer's CPU: not too often.
            time.sleep(0.05)
        stopper = threading.Thread(target=writer.process.stop, kwargs={"timeout": 60.0})
        stopper.start()
        while stopper.is_alive():
            peak.sample()
            time.sleep(0.005)
        elapsed = time.perf_counter() - began
    finally:
        writer.process.stop(timeout=30.0)
    covered = (
        _table_records(stack, lake, topic, _catalog_schema(lake_format, round_number))
        if lake_format == "iceberg"
        else _covered_offsets(lake / topic)
    )
    assert covered == EVENTS, f"{covered} offsets in the lake, {EVENTS} produced"
    print(
        f"lake writer ({lake_format}): {EVENTS} events in {elapsed:.1f} s, "
        f"peak RSS {peak.mb:.0f} MB"
    )
    return EVENTS / elapsed, peak.mb


class _RoundWriter(ConsumerApp):
    """The stack's lake writer (its catalog in the stack's PostgreSQL, as under `make up`),
    each round's table in a catalog schema of its own."""

    def __init__(self, settings: StackSettings, catalog_schema: str) -> None:
        super().__init__(settings)
        self.catalog_schema = catalog_schema

    def environment(self) -> dict[str, str]:
        return {**super().environment(), "CONSUMER_CATALOG_SCHEMA": self.catalog_schema}


def _catalog_schema(lake_format: str, round_number: int) -> str:
    return f"bench_{lake_format}_{round_number}"


def _forget_group(stack: BenchStack) -> None:
    """Delete the writer's group, so that the next writer reads the topic from the start."""
    group = ConsumerSettings.model_fields["group_id"].default
    admin = AdminClient({"bootstrap.servers": stack.kafka_bootstrap})
    admin.delete_consumer_groups([group])[group].result(timeout=30)


def _bare_iceberg_loop(stack: BenchStack, topic: str) -> float:
    """The peer a user would write first: decode each record with fastavro, gather a batch
    per partition, build its Arrow table and append it with pyiceberg."""
    reader = json.loads((CONTRACT / "2.avsc").read_text())
    folder = stack.settings.stack_dir / "lake-bare"
    folder.mkdir(parents=True, exist_ok=True)
    catalog = bench_catalog(stack, folder, "bench_bare")
    table = open_table(catalog, TableName("bench", topic), reader)
    arrow_schema = table.schema().as_arrow()
    batches: dict[int, list[Any]] = {}
    clock = _Clock()
    seen = 0
    for partition, record in _decoded(stack, topic, clock):
        batch = batches.setdefault(partition, [])
        batch.append(record)
        seen += 1
        if len(batch) >= BATCH:
            table.append(pa.Table.from_pylist(batch, schema=arrow_schema))
            batch.clear()
    for batch in batches.values():
        if batch:
            table.append(pa.Table.from_pylist(batch, schema=arrow_schema))
    elapsed = clock.elapsed()
    catalog.close()
    print(f"bare pyiceberg loop: {seen} events in {elapsed:.1f} s")
    return seen / elapsed


def _table_records(stack: BenchStack, lake: Path, topic: str, schema: str) -> int:
    with closing(bench_catalog(stack, lake, schema)) as catalog:
        return table_rows(catalog, ("lake", topic))


def _consumed(metrics_url: str) -> float:
    text = fetch_text(metrics_url)
    found = Exposition(text).total(CONSUMER_RECORDS) if text else None
    return found or 0.0


class _PeakRss:
    """The process's peak resident set (VmHWM, kept by the kernel), read while it lives."""

    def __init__(self, pid: int) -> None:
        self._status = Path(f"/proc/{pid}/status")
        self.mb = 0.0

    def sample(self) -> None:
        try:
            text = self._status.read_text()
        except (FileNotFoundError, ProcessLookupError):
            return
        for line in text.splitlines():
            if line.startswith("VmHWM:"):
                self.mb = max(self.mb, int(line.split()[1]) / 1024)


def _covered_offsets(folder: Path) -> int:
    total = 0
    for path in folder.glob("event_date=*/part-*.parquet"):
        name = parse_file_name(path.name)
        if name is not None:
            total += name.last_offset - name.first_offset + 1
    return total


def main() -> None:
    for measure in run():
        print(measure)


if __name__ == "__main__":
    main()
