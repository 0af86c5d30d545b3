"""Lake writer: events/s to Parquet against a raw consume + fastavro decode of the same topic,
and its peak memory over a million events."""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
from pathlib import Path

import fastavro
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from bench.report import Measure
from bench.services import REPO_ROOT, BenchStack, bench_stack
from consumer.sink.layout import parse_file_name
from contract.subjects import user_events_folder, value_subject
from stack.apps import ConsumerApp
from stack.metrics import Exposition, fetch_text
from stack.runner import start_service

EVENTS = 1_000_000
PARTITIONS = 3
CONTRACT = user_events_folder(REPO_ROOT / "schemas")


def run() -> list[Measure]:
    with bench_stack() as stack:
        topic = f"bench-lake-{uuid.uuid4().hex[:6]}"
        _produce(stack, topic)
        baseline = _raw_consume(stack, topic)
        ours, peak_rss = _lake_writer(stack, topic)
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
    ]


def _produce(stack: BenchStack, topic: str) -> None:
    admin = AdminClient({"bootstrap.servers": stack.kafka_bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS)])[topic].result(timeout=30)
    client = SchemaRegistryClient({"url": stack.registry_url})
    text = (CONTRACT / "2.avsc").read_text()
    client.register_schema(value_subject(topic), Schema(text, "AVRO"))
    serializer = AvroSerializer(client, text, conf={"auto.register.schemas": False})
    context = SerializationContext(topic, MessageField.VALUE)
    producer = Producer(
        {
            "bootstrap.servers": stack.kafka_bootstrap,
            "linger.ms": 20,
            "compression.type": "lz4",
            "queue.buffering.max.messages": 500_000,
        }
    )
    began = time.perf_counter()
    for n in range(EVENTS):
        event = {
            "event_id": str(uuid.uuid4()),
            "event_time": 1_795_600_000_000 + n,
            "user_id": n,
            "country_code": "BE",
            "created_at": 1_609_459_200_000,
            "is_a_dog": n % 2 == 0,
            "signup_channel": "api",
        }
        while True:
            try:
                producer.produce(topic, key=str(n).encode(), value=serializer(event, context))
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    producer.flush(120)
    client.close()
    print(f"produced {EVENTS} events in {time.perf_counter() - began:.1f} s")


def _raw_consume(stack: BenchStack, topic: str) -> float:
    schema = fastavro.parse_schema(json.loads((CONTRACT / "2.avsc").read_text()))
    consumer = Consumer(
        {
            "bootstrap.servers": stack.kafka_bootstrap,
            "group.id": f"raw-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    decoded = 0
    began: float | None = None
    while decoded < EVENTS:
        for message in consumer.consume(num_messages=1000, timeout=1.0):
            if message.error() is not None:
                continue
            if began is None:
                began = time.perf_counter()
            value = message.value()
            assert value is not None
            fastavro.schemaless_reader(io.BytesIO(value[5:]), schema, schema)
            decoded += 1
    elapsed = time.perf_counter() - (began or time.perf_counter())
    consumer.close()
    print(f"raw consume + decode: {decoded} events in {elapsed:.1f} s")
    return decoded / elapsed


def _lake_writer(stack: BenchStack, topic: str) -> tuple[float, float]:
    """Events/s from the first record until all are in durable files, and the peak RSS.

    The writer is stopped (SIGTERM) once it has consumed every event, so the last files
    close on shutdown rather than on the age limit: the clock measures work, not a timer.
    """
    lake = stack.settings.stack_dir / "lake"
    settings = stack.settings.model_copy(
        update={"events_topic": topic, "consumer_output": str(lake)}
    )
    writer = ConsumerApp(settings)
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
            time.sleep(0.02)
        stopper = threading.Thread(target=writer.process.stop, kwargs={"timeout": 60.0})
        stopper.start()
        while stopper.is_alive():
            peak.sample()
            time.sleep(0.005)
        elapsed = time.perf_counter() - began
    finally:
        writer.process.stop(timeout=30.0)
    covered = _covered_offsets(lake / topic)
    assert covered == EVENTS, f"{covered} offsets in files, {EVENTS} produced"
    print(f"lake writer: {EVENTS} events in {elapsed:.1f} s, peak RSS {peak.mb:.0f} MB")
    return EVENTS / elapsed, peak.mb


def _consumed(metrics_url: str) -> float:
    text = fetch_text(metrics_url)
    found = Exposition(text).total("consumer_records", "consumer_records_total") if text else None
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
