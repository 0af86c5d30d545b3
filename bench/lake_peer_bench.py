"""Lake writer beside Apache Iceberg's Kafka Connect sink: the same events into two tables of
one catalog, events/s over a backlog and commit -> visible latency at a steady rate.

No converter on Maven Central reads Confluent-framed Avro (Confluent's own is served from
Confluent's repository), so the sink reads a JSON copy of the Avro topic: the same events,
keys and partitions, written beside it. Its table is created first with the lake writer's
own schema and day partitioning, so both sides write the same layout.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.exceptions import NoSuchTableError
from pyiceberg.table import Table

from bench.connect import ConnectStandalone
from bench.lake import SCHEMA_FILE, AvroTopicWriter, bench_catalog, table_rows, user_event
from bench.load import percentile_ms
from bench.report import Measure
from bench.services import REPO_ROOT, BenchStack, bench_stack, create_topic
from consumer.lake import CATALOG_NAME
from consumer.settings import ConsumerSettings
from consumer.sink.iceberg import TableName, open_table
from stack.apps import ConsumerApp
from stack.ports import free_port
from stack.runner import start_service
from stack.settings import StackSettings

EVENTS = 1_000_000
PARTITIONS = 3
ROUNDS = 3
# Latency: events at this rate, each timed from its produce until a scan of the table has it.
LATENCY_RATE = 200.0
LATENCY_SECONDS = 30.0
# The longest an event waits for its commit on either side: the sink's commit interval, and
# the lake writer's file age limit (CONSUMER_MAX_AGE_SECONDS). Both default to minutes,
# which would time the timers; a second bounds what the end of a backlog waits for.
COMMIT_SECONDS = 1.0
PEER = "Iceberg sink 1.10.1"
# The lake writer's namespace, where the sink's table goes too.
NAMESPACE: str = ConsumerSettings.model_fields["table_namespace"].default


def run() -> list[Measure]:
    with bench_stack() as stack:
        avro_topic, json_topic = _topics(stack, "lake-peer")
        _produce(stack, avro_topic, json_topic, EVENTS, rate=None)
        ours: list[float] = []
        theirs: list[float] = []
        for round_number in range(ROUNDS):
            ours.append(_our_backlog(stack, avro_topic, round_number))
            theirs.append(_sink_backlog(stack, json_topic, round_number))
        print(f"lake events/s by round: ours {[round(r) for r in ours]}, sink {theirs}")
        our_latency = _our_latency(stack)
        sink_latency = _sink_latency(stack)
    return [
        Measure(
            f"lake writer vs Iceberg Connect sink, {EVENTS // 1000}k",
            "events/s",
            max(ours),
            max(theirs),
            "Iceberg's Kafka Connect sink on a JSON copy of the topic, events/s",
            1.0,
            peer=PEER,
        ),
        Measure(
            "lake commit -> visible p99 vs Iceberg sink",
            "ms",
            our_latency[1],
            sink_latency[1],
            f"the sink's p99, both committing every {COMMIT_SECONDS:g} s, ms",
            1.0,
            direction="max",
            peer=PEER,
        ),
        Measure(
            "lake commit -> visible p50 vs Iceberg sink",
            "ms",
            our_latency[0],
            sink_latency[0],
            "the sink's p50, ms",
            1.0,
            direction="max",
            peer=PEER,
        ),
    ]


def _topics(stack: BenchStack, prefix: str) -> tuple[str, str]:
    """A new Avro topic and its JSON copy."""
    avro_topic = f"{prefix}-{uuid.uuid4().hex[:6]}"
    json_topic = f"{avro_topic}-json"
    for topic in (avro_topic, json_topic):
        create_topic(stack, topic, partitions=PARTITIONS)
    return avro_topic, json_topic


def _produce(
    stack: BenchStack, avro_topic: str, json_topic: str, count: int, *, rate: float | None
) -> dict[str, float]:
    """``count`` events to both topics, same key and partition; at ``rate`` per second if
    given. Returns when each event id was produced (perf_counter)."""
    writer = AvroTopicWriter(stack, avro_topic, linger_ms=20 if rate is None else 0)
    produced: dict[str, float] = {}
    began = time.perf_counter()
    for n in range(count):
        event = user_event(n, event_time=int(time.time() * 1000))
        key = str(n).encode()
        partition = n % PARTITIONS
        writer.produce(avro_topic, key, writer.serialize(event), partition=partition)
        writer.produce(json_topic, key, orjson.dumps(event), partition=partition)
        if rate is not None:
            produced[event["event_id"]] = time.perf_counter()
            time.sleep(max(0.0, began + (n + 1) / rate - time.perf_counter()))
    writer.close()
    print(f"produced {count} events to each topic in {time.perf_counter() - began:.1f} s")
    return produced


# Ours


class _Writer(ConsumerApp):
    """The stack's lake writer, its table in a catalog schema of the round's own."""

    def __init__(self, settings: StackSettings, catalog_schema: str) -> None:
        super().__init__(settings)
        self.catalog_schema = catalog_schema

    def environment(self) -> dict[str, str]:
        return {
            **super().environment(),
            "CONSUMER_CATALOG_SCHEMA": self.catalog_schema,
            "CONSUMER_GROUP_ID": f"lake-peer-{self.catalog_schema}",
            "CONSUMER_MAX_AGE_SECONDS": f"{COMMIT_SECONDS:g}",
        }


@contextmanager
def _writer(stack: BenchStack, topic: str, name: str) -> Iterator[tuple[_Writer, Path]]:
    lake = stack.settings.stack_dir / name
    settings = stack.settings.model_copy(
        update={"events_topic": topic, "consumer_output": str(lake), "consumer_format": "iceberg"}
    )
    writer = _Writer(settings, name)
    start_service(writer, echo=print)
    try:
        yield writer, lake
    finally:
        writer.process.stop(timeout=60.0)


def _our_backlog(stack: BenchStack, topic: str, round_number: int) -> float:
    """Events/s from the writer owning its partitions until every event is in its table."""
    name = f"ours_{round_number}"
    with _writer(stack, topic, name) as (writer, lake):
        while "partition_assigned" not in writer.process.log_file.read_text(errors="replace"):
            time.sleep(0.01)
        began = time.perf_counter()
        elapsed = _until_rows(bench_catalog(stack, lake, name), topic, EVENTS, began)
    print(f"lake writer: {EVENTS} events in {elapsed:.1f} s")
    return EVENTS / elapsed


def _until_rows(catalog: SqlCatalog, table: str, count: int, began: float) -> float:
    """Seconds from ``began`` until the table holds ``count`` rows (polled every 50 ms)."""
    with closing(catalog):
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                if table_rows(catalog, (NAMESPACE, table)) >= count:
                    return time.perf_counter() - began
            except NoSuchTableError:
                pass
            time.sleep(0.05)
    raise TimeoutError(f"{table}: fewer than {count} rows after 600 s")


def _our_latency(stack: BenchStack) -> tuple[float, float]:
    avro_topic, json_topic = _topics(stack, "lake-latency")
    name = "ours_latency"
    with _writer(stack, avro_topic, name) as (_writer_app, lake):
        return _latency(stack, avro_topic, json_topic, bench_catalog(stack, lake, name), avro_topic)


# The peer


def _sink(stack: BenchStack, topic: str, name: str, warehouse: Path) -> ConnectStandalone:
    """The Iceberg sink into table ``name`` (created first with the writer's schema and
    partitioning), as Iceberg's Kafka Connect documentation sets it up with a JDBC catalog."""
    with closing(bench_catalog(stack, warehouse, name)) as catalog:
        reader = orjson.loads(SCHEMA_FILE.read_text())
        open_table(catalog, TableName(NAMESPACE, name), reader)
    control = f"control-iceberg-{name}"
    create_topic(stack, control, partitions=1)
    url = _jdbc_url(stack, name)
    connect = ConnectStandalone(
        stack.settings,
        peers=(REPO_ROOT / StackSettings().peers).resolve(),
        bootstrap=stack.kafka_bootstrap,
        rest_port=free_port(),
        connector={
            "name": f"iceberg-{name}",
            "connector.class": "org.apache.iceberg.connect.IcebergSinkConnector",
            # As the documentation's examples; the topic has more partitions than that.
            "tasks.max": "2",
            "topics": topic,
            "iceberg.tables": f"{NAMESPACE}.{name}",
            "iceberg.control.topic": control,
            "iceberg.control.commit.interval-ms": str(int(COMMIT_SECONDS * 1000)),
            "iceberg.catalog": CATALOG_NAME,
            "iceberg.catalog.catalog-impl": "org.apache.iceberg.jdbc.JdbcCatalog",
            "iceberg.catalog.uri": url,
            "iceberg.catalog.jdbc.user": "postgres",
            "iceberg.catalog.warehouse": warehouse.resolve().as_uri(),
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false",
        },
        # The sink's tasks read the coordinator's commit requests when Connect hands them
        # records, or flushes offsets (every 60 s by default). Once a backlog is consumed no
        # records come, and the last commit waited for that flush: every round took 120 s
        # for 1,000,000 events, most of it waiting.
        worker={"offset.flush.interval.ms": str(int(COMMIT_SECONDS * 1000))},
    )
    start_service(connect, echo=print)
    return connect


def _jdbc_url(stack: BenchStack, schema: str) -> str:
    port = stack.settings.postgres_port
    database = stack.settings.postgres_db
    return f"jdbc:postgresql://127.0.0.1:{port}/{database}?currentSchema={schema}"


def _sink_backlog(stack: BenchStack, topic: str, round_number: int) -> float:
    """Events/s from the sink's tasks running until every event is in its table."""
    name = f"sink_{round_number}"
    warehouse = stack.settings.stack_dir / name
    connect = _sink(stack, topic, name, warehouse)
    try:
        began = time.perf_counter()
        elapsed = _until_rows(bench_catalog(stack, warehouse, name), name, EVENTS, began)
    finally:
        connect.process.stop(timeout=60.0)
    print(f"Iceberg sink: {EVENTS} events in {elapsed:.1f} s")
    return EVENTS / elapsed


def _sink_latency(stack: BenchStack) -> tuple[float, float]:
    avro_topic, json_topic = _topics(stack, "lake-latency")
    name = "sink_latency"
    warehouse = stack.settings.stack_dir / name
    connect = _sink(stack, json_topic, name, warehouse)
    try:
        return _latency(stack, avro_topic, json_topic, bench_catalog(stack, warehouse, name), name)
    finally:
        connect.process.stop(timeout=60.0)


# Both


def _latency(
    stack: BenchStack,
    avro_topic: str,
    json_topic: str,
    catalog: SqlCatalog,
    table: str,
) -> tuple[float, float]:
    """p50/p99 ms from each event's produce until a scan of the table has it."""
    seen: dict[str, float] = {}
    stop = threading.Event()
    watcher = threading.Thread(target=_watch, args=(catalog, table, seen, stop), daemon=True)
    watcher.start()
    try:
        produced = _produce(
            stack, avro_topic, json_topic, int(LATENCY_RATE * LATENCY_SECONDS), rate=LATENCY_RATE
        )
        deadline = time.monotonic() + 4 * COMMIT_SECONDS + 60
        while len(seen) < len(produced) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        watcher.join(30)
        catalog.close()
    delays = [seen[key] - produced[key] for key in produced if key in seen]
    if len(delays) < len(produced):
        raise RuntimeError(f"{table}: {len(delays)} of {len(produced)} events became visible")
    latency = (percentile_ms(delays, 50), percentile_ms(delays, 99))
    print(f"{table}: commit -> visible p50/p99 ms {latency[0]:.0f}/{latency[1]:.0f}")
    return latency


def _watch(catalog: SqlCatalog, table: str, seen: dict[str, float], stop: threading.Event) -> None:
    """Record when each event id first shows in the table: each new snapshot's files are
    listed once, and each data file read once."""
    known: set[str] = set()
    last_snapshot: int | None = None
    while not stop.is_set():
        try:
            loaded = catalog.load_table((NAMESPACE, table))
        except NoSuchTableError:
            time.sleep(0.05)
            continue
        snapshot = loaded.current_snapshot()
        if snapshot is not None and snapshot.snapshot_id != last_snapshot:
            last_snapshot = snapshot.snapshot_id
            arrived = time.perf_counter()
            for task in loaded.scan(snapshot_id=snapshot.snapshot_id).plan_files():
                path = task.file.file_path
                if path in known:
                    continue
                known.add(path)
                for event_id in _event_ids(loaded, path):
                    seen.setdefault(event_id, arrived)
        time.sleep(0.05)


def _event_ids(table: Table, path: str) -> list[str]:
    with table.io.new_input(path).open() as stream:
        data = pa.BufferReader(stream.read())
    column = pq.read_table(data, columns=["event_id"]).column("event_id")
    return [str(value) for value in column.to_pylist()]


def main() -> None:
    for measure in run():
        print(measure)


if __name__ == "__main__":
    main()
