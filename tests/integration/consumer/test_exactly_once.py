"""Exactly once, for real: `python -m consumer` processes SIGKILLed and rebalanced mid-stream.

Both tests run the lake writer as the stack runs it (`stack.apps.ConsumerApp`, a process of
its own), against the session's broker and a registry of this module's own, and then check
the lake against the topic itself: every offset that holds a record is in exactly one
visible file, files hold their offsets' events in order, and no event id is there twice.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import pyarrow.parquet as pq
import pytest
import requests
from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    ConsumerGroupState,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.table import Table

from consumer.maintenance import remove_orphans
from consumer.sink.iceberg import next_offsets
from stack.apps import ConsumerApp
from stack.ports import free_port
from stack.runner import start_service
from stack.settings import StackSettings
from tests.conftest import REPO_ROOT, ProcessDirs, start_sqlite_registry
from tests.integration.consumer.support import maintain_now

READER_SCHEMA = REPO_ROOT / "schemas" / "user-events-value" / "2.avsc"
FILE_NAME = re.compile(r"part-(\d+)-(\d{20})-(\d{20})\.parquet")
VISIBLE_GLOB = "event_date=*/part-*.parquet"
# 2026-11-25 00:00 UTC; the event date moves on every EVENTS_PER_DAY events, so files also
# close on a change of date and land in several `event_date=` folders.
BASE_EVENT_MS = 1_795_564_800_000
EVENTS_PER_DAY = 12_500
DAY_MS = 86_400_000


@pytest.fixture(scope="module")
def eo_registry(process_dirs: ProcessDirs) -> Iterator[str]:
    app = start_sqlite_registry(process_dirs.make("eo-registry"))
    yield app.url
    app.process.stop(timeout=20.0)


# --- the lake writer as a process -------------------------------------------------------------


class LakeWriterProcess(ConsumerApp):
    """`python -m consumer` with this test's broker, registry, group and rotation limits."""

    def __init__(self, settings: StackSettings, *, bootstrap: str, extra: dict[str, str]) -> None:
        super().__init__(settings)
        self.bootstrap = bootstrap
        self.extra = dict(extra)

    def environment(self) -> dict[str, str]:
        # The broker verbatim (StackSettings only knows 127.0.0.1:<port>), and v2 as the
        # reader schema whatever the newest contract file becomes.
        return {
            **super().environment(),
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "CONSUMER_READER_SCHEMA": str(READER_SCHEMA),
            **self.extra,
        }

    def log_events(self, since: int = 0, until: int | None = None) -> list[dict[str, Any]]:
        """The JSON log lines in bytes `since`..`until` of the log (non-JSON lines skipped)."""
        try:
            with self.process.log_file.open("rb") as log:
                log.seek(since)
                raw = log.read(-1 if until is None else until - since).decode(errors="replace")
        except FileNotFoundError:
            return []
        events = []
        for line in raw.splitlines():
            if line.startswith("{"):
                try:
                    events.append(json.loads(line))
                except ValueError:
                    continue  # a line cut by SIGKILL
        return events

    def log_size(self) -> int:
        try:
            return self.process.log_file.stat().st_size
        except FileNotFoundError:
            return 0


class WriterFactory(Protocol):
    def __call__(
        self, *, topic: str, lake: Path, group_id: str, max_records: int
    ) -> LakeWriterProcess: ...


@pytest.fixture
def make_writer(
    process_dirs: ProcessDirs, kafka_bootstrap: str, eo_registry: str
) -> Iterator[WriterFactory]:
    """Lake writers for one topic and lake; whatever still runs is killed at teardown."""
    made: list[LakeWriterProcess] = []

    def make(*, topic: str, lake: Path, group_id: str, max_records: int) -> LakeWriterProcess:
        registry = urlparse(eo_registry)
        settings = StackSettings(
            stack_dir=process_dirs.make("lake-writer"),
            schemas_dir=REPO_ROOT / "schemas",
            registry_port=registry.port or 80,
            consumer_metrics_port=free_port(),
            consumer_output=str(lake),
            consumer_format="parquet",
            events_topic=topic,
        )
        writer = LakeWriterProcess(
            settings,
            bootstrap=kafka_bootstrap,
            extra={
                "REGISTRY_URL": eo_registry,
                "CONSUMER_GROUP_ID": group_id,
                "CONSUMER_MAX_RECORDS": str(max_records),
                "CONSUMER_MAX_AGE_SECONDS": "1",
            },
        )
        made.append(writer)
        return writer

    yield make
    # A failed assertion must not leave consumers running into the next tests.
    for writer in made:
        writer.process.stop(timeout=10.0, stop_signal=signal.SIGKILL)


def _start(writer: LakeWriterProcess) -> int:
    """Start the process, wait for its /metrics; returns where its log stood before."""
    since = writer.log_size()
    start_service(writer, echo=lambda _line: None)
    return since


def _wait_for_log(
    writer: LakeWriterProcess, event: str, since: int, timeout: float
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        for line in writer.log_events(since):
            if line.get("event") == event:
                return line
        if time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    raise AssertionError(f"no {event} in {writer.process.log_file}:\n{writer.process.log_tail()}")


def _buffered_records(writer: LakeWriterProcess) -> int:
    """Records the process has decoded so far (its /metrics), to tell what a kill lost."""
    url = f"http://127.0.0.1:{writer.port}/metrics"
    text = requests.get(url, timeout=2).text
    found = re.search(r'^consumer_records_total\{outcome="buffered"\} (\S+)$', text, re.M)
    return 0 if found is None else int(float(found.group(1)))


def _stop_gracefully(writer: LakeWriterProcess, since: int) -> None:
    assert writer.process.stop(timeout=30.0), "the lake writer was not running"
    # A SIGKILL after the timeout would also "stop" it: the log says it shut down itself.
    _wait_for_log(writer, "consumer_stopped", since, 0)


# --- events in ------------------------------------------------------------------------------


def _create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=partitions)])[topic].result(timeout=30)


class EventSource:
    """Produces `count` v2 events (key: the event's number) in a thread, at a steady pace.

    `event_ids[n]` is the id of event n; the key of its record is `str(n)`.
    """

    def __init__(
        self, bootstrap: str, registry_url: str, topic: str, count: int, seconds: float
    ) -> None:
        self.bootstrap = bootstrap
        self.registry_url = registry_url
        self.topic = topic
        self.count = count
        self.seconds = seconds
        self.event_ids = [str(uuid.uuid4()) for _ in range(count)]
        self.produced = 0
        self.error: BaseException | None = None
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="event-source", daemon=True)

    def start(self) -> EventSource:
        self._thread.start()
        return self

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the producer thread did not finish"
        if self.error is not None:
            raise self.error

    def event(self, n: int) -> dict[str, Any]:
        return {
            "event_id": self.event_ids[n],
            "event_time": BASE_EVENT_MS + (n // EVENTS_PER_DAY) * DAY_MS + n,
            "user_id": n,
            "country_code": "BE",
            "created_at": 1_609_459_200_000,
            "is_a_dog": n % 2 == 0,
            "signup_channel": "web",
        }

    def _run(self) -> None:
        # Errors are kept for join(): an exception escaping a thread is a pytest warning,
        # and warnings are errors.
        try:
            self._produce()
        except BaseException as error:
            self.error = error
        finally:
            self.done.set()

    def _produce(self) -> None:
        client = SchemaRegistryClient({"url": self.registry_url})
        producer = Producer(
            {"bootstrap.servers": self.bootstrap, "enable.idempotence": True, "linger.ms": 5}
        )
        try:
            text = READER_SCHEMA.read_text()
            client.register_schema(f"{self.topic}-value", Schema(text, "AVRO"))
            serialize = AvroSerializer(client, text, conf={"auto.register.schemas": False})
            context = SerializationContext(self.topic, MessageField.VALUE)
            chunk = 500
            began = time.monotonic()
            for start in range(0, self.count, chunk):
                # Paced so that the consumers are at work through every kill and rebalance.
                pause = began + self.seconds * start / self.count - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                for n in range(start, min(start + chunk, self.count)):
                    value = serialize(self.event(n), context)
                    producer.produce(self.topic, key=str(n).encode(), value=value)
                producer.poll(0)
                self.produced = min(start + chunk, self.count)
            assert producer.flush(30) == 0, "events not acknowledged"
        finally:
            producer.flush(5)
            client.close()


def _read_topic(bootstrap: str, topic: str, partitions: int) -> dict[int, dict[int, int]]:
    """Every record of the topic: partition → offset → event number (its key)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"verify-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
        }
    )
    found: dict[int, dict[int, int]] = {p: {} for p in range(partitions)}
    try:
        ends = {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in range(partitions)
        }
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
        pending = {p for p, end in ends.items() if end > 0}
        deadline = time.monotonic() + 60
        while pending and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=5000, timeout=1.0):
                partition, offset = message.partition(), message.offset()
                assert partition is not None and offset is not None
                error = message.error()
                if error is not None:
                    assert error.code() == KafkaError._PARTITION_EOF, error
                    pending.discard(partition)
                    continue
                key = message.key()
                assert isinstance(key, bytes)
                found[partition][offset] = int(key)
                if offset >= ends[partition] - 1:
                    pending.discard(partition)
        assert not pending, f"partitions {sorted(pending)} not read to their end"
    finally:
        consumer.close()
    return found


# --- the lake -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LakeFile:
    path: Path
    partition: int
    first_offset: int
    last_offset: int
    metadata: dict[str, str]
    event_ids: list[str]


def _visible(lake: Path, topic: str) -> list[Path]:
    return sorted((lake / topic).glob(VISIBLE_GLOB))


def _hidden(lake: Path, topic: str) -> list[str]:
    """Dot-named entries of the date folders: temporaries in flight or left by a kill."""
    names = []
    for folder in (lake / topic).glob("event_date=*"):
        with os.scandir(folder) as entries:
            names += [entry.name for entry in entries if entry.name.startswith(".")]
    return names


def _read_file(path: Path) -> LakeFile:
    found = FILE_NAME.fullmatch(path.name)
    assert found is not None, f"{path.name} is not a final file name"
    table = pq.read_table(path)
    raw = table.schema.metadata or {}
    metadata = {key.decode(): value.decode() for key, value in raw.items()}
    return LakeFile(
        path=path,
        partition=int(found.group(1)),
        first_offset=int(found.group(2)),
        last_offset=int(found.group(3)),
        metadata=metadata,
        event_ids=[str(value) for value in table.column("event_id").to_pylist()],
    )


class RowCounter:
    """Rows in the visible files, from each file's footer, each file read once."""

    def __init__(self, lake: Path, topic: str) -> None:
        self.lake = lake
        self.topic = topic
        self._rows: dict[Path, int] = {}

    def __call__(self) -> int:
        for path in _visible(self.lake, self.topic):
            if path not in self._rows:
                self._rows[path] = pq.read_metadata(path).num_rows
        return sum(self._rows.values())

    def wait_for(self, rows: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self() < rows and time.monotonic() < deadline:
            time.sleep(0.25)
        found = self()
        assert found <= rows, f"{found} rows in the lake from {rows} events: some landed twice"
        assert found == rows, f"only {found} of {rows} events in the lake in time"


class LakeWatcher:
    """While writers run: every file the glob shows must open whole, and never a temporary.

    A visible name over a half-written file (no atomic rename) would fail to open or hold
    fewer rows than its footer's metadata says; a temporary the glob matched would be read
    by every query engine.
    """

    def __init__(self, lake: Path, topic: str) -> None:
        self.lake = lake
        self.topic = topic
        self.opened: set[str] = set()
        self.hidden_seen: set[str] = set()
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lake-watcher", daemon=True)

    def __enter__(self) -> LakeWatcher:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            try:
                self.scan()
            except Exception as error:  # kept for the test to report, not lost in a thread
                self.errors.append(f"watcher: {error!r}")
                return

    def scan(self) -> None:
        self.hidden_seen.update(_hidden(self.lake, self.topic))
        for path in _visible(self.lake, self.topic):
            if path.name in self.opened:
                continue
            self.opened.add(path.name)
            if path.name.startswith(".") or FILE_NAME.fullmatch(path.name) is None:
                self.errors.append(f"the glob matched {path.name}")
                continue
            try:
                table = pq.read_table(path)
                declared = int((table.schema.metadata or {})[b"record_count"])
            except Exception as error:
                self.errors.append(f"{path.name} does not open: {error!r}")
                continue
            if table.num_rows != declared:
                self.errors.append(f"{path.name}: {table.num_rows} rows, {declared} declared")


@dataclass(frozen=True)
class LakeFigures:
    files: int
    rows: int
    duplicates: int
    hidden_left: int


def _check_lake(
    lake: Path, topic: str, records: dict[int, dict[int, int]], event_ids: list[str]
) -> LakeFigures:
    """The lake against the topic: each record's offset in exactly one file, nothing else."""
    paths = _visible(lake, topic)
    hidden = _hidden(lake, topic)
    assert not [p for p in paths if p.name.startswith(".")], "the glob matched a temporary"
    files = [_read_file(path) for path in paths]  # every visible file opens with pyarrow
    ids = [event_id for file in files for event_id in file.event_ids]
    duplicates = len(ids) - len(set(ids))
    assert duplicates == 0, f"{duplicates} event ids are in the lake more than once"
    assert sorted(ids) == sorted(event_ids), "the lake does not hold exactly the events sent"

    for partition, offsets in records.items():
        own = sorted((f for f in files if f.partition == partition), key=lambda f: f.first_offset)
        next_offset = 0
        for file in own:
            where = f"partition {partition}, {file.path.name}"
            assert file.metadata["partition"] == str(partition), where
            assert file.metadata["first_offset"] == str(file.first_offset), where
            assert file.metadata["last_offset"] == str(file.last_offset), where
            assert file.metadata["record_count"] == str(len(file.event_ids)), where
            assert file.first_offset >= next_offset, f"{where} overlaps the file before it"
            skipped = [o for o in range(next_offset, file.first_offset) if o in offsets]
            assert not skipped, f"{where}: offsets {skipped[:5]}… hold records in no file"
            in_range = [o for o in range(file.first_offset, file.last_offset + 1) if o in offsets]
            assert file.event_ids == [event_ids[offsets[o]] for o in in_range], (
                f"{where} does not hold its offsets' events, in order"
            )
            next_offset = file.last_offset + 1
        after = [o for o in offsets if o >= next_offset]
        assert not after, f"partition {partition}: offsets from {min(after, default=0)} not landed"
    return LakeFigures(
        files=len(files), rows=len(ids), duplicates=duplicates, hidden_left=len(hidden)
    )


def _files_by_writer(
    runs: dict[str, list[dict[str, Any]]],
) -> dict[tuple[int, int], str]:
    """(partition, first offset) of every file written → the run (log lines) that wrote it."""
    written: dict[tuple[int, int], str] = {}
    for name, lines in runs.items():
        for line in lines:
            if line.get("event") == "sink_file_written":
                written[(int(line["partition"]), int(line["first_offset"]))] = name
    return written


# --- the tests ------------------------------------------------------------------------------

CRASH_EVENTS = 50_000
CRASH_PARTITIONS = 3
CRASH_KILLS = 8
CRASH_SEED = 20261125


@dataclass(frozen=True)
class KilledRun:
    delay: float
    # The run's part of the log, and the records it had decoded when it was killed.
    since: int
    until: int
    buffered: int


def _kill_at_random_moments(
    writer: LakeWriterProcess, group: str, rng: random.Random
) -> list[KilledRun]:
    """Start the writer and SIGKILL it at a random moment, CRASH_KILLS times."""
    runs = []
    for incarnation in range(CRASH_KILLS):
        # A group per run: a SIGKILLed member stays in its group until its session times
        # out (45 s), and a restart in the same group waits that long for its partitions.
        # The lake, not committed offsets, is where a run resumes anyway.
        writer.extra["CONSUMER_GROUP_ID"] = f"{group}-{incarnation}"
        since = _start(writer)
        # The delay counts from the moment the run owns its partitions, so each kill lands
        # while it consumes, buffers or writes, not while it starts up.
        _wait_for_log(writer, "partition_assigned", since, 30)
        delay = rng.uniform(0.5, 3.0)
        time.sleep(delay)
        buffered = _buffered_records(writer)
        writer.process.stop(timeout=10.0, stop_signal=signal.SIGKILL)
        runs.append(KilledRun(delay, since, writer.log_size(), buffered))
    return runs


def test_sigkill_at_random_moments_leaves_every_event_in_exactly_one_file(
    kafka_bootstrap: str,
    eo_registry: str,
    topic: str,
    process_dirs: ProcessDirs,
    make_writer: WriterFactory,
) -> None:
    began = time.monotonic()
    _create_topic(kafka_bootstrap, topic, CRASH_PARTITIONS)
    lake = process_dirs.make("lake") / "lake"
    group = f"lake-{uuid.uuid4().hex[:8]}"
    writer = make_writer(topic=topic, lake=lake, group_id=group, max_records=2000)
    rng = random.Random(CRASH_SEED)
    source = EventSource(kafka_bootstrap, eo_registry, topic, CRASH_EVENTS, seconds=20.0)
    rows = RowCounter(lake, topic)
    unwritten = 0
    with LakeWatcher(lake, topic) as watcher:
        source.start()
        runs = _kill_at_random_moments(writer, group, rng)
        for run in runs:
            landed = sum(
                int(line["records"])
                for line in writer.log_events(run.since, run.until)
                if line.get("event") == "sink_file_written"
            )
            unwritten += max(0, run.buffered - landed)
        kills = [f"{run.delay:.2f}s" for run in runs]
        writer.extra["CONSUMER_GROUP_ID"] = f"{group}-last"
        since = _start(writer)
        source.join(60)
        rows.wait_for(CRASH_EVENTS, 120 - (time.monotonic() - began))
        _stop_gracefully(writer, since)
    assert not watcher.errors, "\n".join(watcher.errors[:20])

    records = _read_topic(kafka_bootstrap, topic, CRASH_PARTITIONS)
    assert sum(len(offsets) for offsets in records.values()) == CRASH_EVENTS
    figures = _check_lake(lake, topic, records, source.event_ids)
    removed = sum(
        1 for line in writer.log_events() if line.get("event") == "sink_temporary_removed"
    )
    print(
        f"\ncrash: events={CRASH_EVENTS} kills={len(kills)} files={figures.files} "
        f"rows={figures.rows} duplicates={figures.duplicates} "
        f"temporaries_seen={len(watcher.hidden_seen)} temporaries_removed={removed} "
        f"hidden_left={figures.hidden_left} unwritten_at_kills~{unwritten} "
        f"kill_delays={','.join(kills)} "
        f"elapsed={time.monotonic() - began:.1f}s"
    )


REBALANCE_EVENTS = 20_000
REBALANCE_PARTITIONS = 6


def _wait_for_group(bootstrap: str, group: str, members: int, timeout: float) -> None:
    """Until the broker reports the group stable with `members` members, each owning some."""
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 3})
    deadline = time.monotonic() + timeout
    seen = "nothing"
    while time.monotonic() < deadline:
        try:
            description = admin.describe_consumer_groups([group])[group].result(timeout=10)
        except KafkaException as error:  # e.g. the coordinator is still loading the group
            seen = str(error)
            time.sleep(0.2)
            continue
        owned = [len(m.assignment.topic_partitions) for m in description.members]
        seen = f"{description.state}, partitions per member {owned}"
        if (
            description.state == ConsumerGroupState.STABLE
            and len(owned) == members
            and all(owned)
            and sum(owned) == REBALANCE_PARTITIONS
        ):
            return
        time.sleep(0.1)
    raise AssertionError(f"group {group} not stable with {members} members: {seen}")


def _committed(bootstrap: str, group: str, topic: str, partitions: int) -> dict[int, int]:
    """The group's committed offsets (asking does not join the group)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        found = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], 10)
    finally:
        consumer.close()
    return {tp.partition: tp.offset for tp in found if tp.offset >= 0}


def _moves(written: dict[tuple[int, int], str]) -> dict[tuple[str, str], int]:
    """How often a partition's next file (offset order) comes from another run: by runs."""
    moves: dict[tuple[str, str], int] = {}
    for partition in range(REBALANCE_PARTITIONS):
        runs = [run for (p, _first), run in sorted(written.items()) if p == partition]
        for before, after in itertools.pairwise(runs):
            if before != after:
                moves[(before, after)] = moves.get((before, after), 0) + 1
    return moves


def test_two_rebalances_between_two_processes_land_each_offset_once(
    kafka_bootstrap: str,
    eo_registry: str,
    topic: str,
    process_dirs: ProcessDirs,
    make_writer: WriterFactory,
) -> None:
    began = time.monotonic()
    _create_topic(kafka_bootstrap, topic, REBALANCE_PARTITIONS)
    lake = process_dirs.make("lake") / "lake"
    group = f"lake-{uuid.uuid4().hex[:8]}"

    steady = make_writer(topic=topic, lake=lake, group_id=group, max_records=2000)
    moving = make_writer(topic=topic, lake=lake, group_id=group, max_records=2000)
    steady_since = _start(steady)
    moving_since = _start(moving)
    _wait_for_group(kafka_bootstrap, group, 2, 60)
    source = EventSource(kafka_bootstrap, eo_registry, topic, REBALANCE_EVENTS, seconds=10.0)
    rows = RowCounter(lake, topic)
    with LakeWatcher(lake, topic) as watcher:
        source.start()
        _wait_until(lambda: source.produced >= REBALANCE_EVENTS * 3 // 10, 30)
        # SIGTERM: the writer closes its files, commits and leaves the group.
        _stop_gracefully(moving, moving_since)
        first_run_end = moving.log_size()
        _wait_for_group(kafka_bootstrap, group, 1, 60)
        _wait_until(lambda: source.produced >= REBALANCE_EVENTS * 65 // 100, 30)
        moving_since = _start(moving)
        _wait_for_group(kafka_bootstrap, group, 2, 60)
        source.join(60)
        rows.wait_for(REBALANCE_EVENTS, 120 - (time.monotonic() - began))
        _stop_gracefully(moving, moving_since)
        _stop_gracefully(steady, steady_since)
    assert not watcher.errors, "\n".join(watcher.errors[:20])

    records = _read_topic(kafka_bootstrap, topic, REBALANCE_PARTITIONS)
    assert sum(len(offsets) for offsets in records.values()) == REBALANCE_EVENTS
    figures = _check_lake(lake, topic, records, source.event_ids)
    # Both stopped gracefully: each partition's commit is past its last record, no further.
    ends = {p: max(offsets) + 1 for p, offsets in records.items() if offsets}
    assert _committed(kafka_bootstrap, group, topic, REBALANCE_PARTITIONS) == ends
    written = _files_by_writer(
        {
            "steady": steady.log_events(),
            "moving, first run": moving.log_events(0, first_run_end),
            "moving, second run": moving.log_events(first_run_end),
        }
    )
    assert len(written) == figures.files, "a file no writer logged, or one logged twice"
    moves = _moves(written)
    # The range assignor orders members by their random ids, so the second run may get
    # back its own partitions or the others: either way, both rebalances moved some.
    assert moves.get(("moving, first run", "steady"), 0) > 0, moves
    assert moves.get(("steady", "moving, second run"), 0) > 0, moves
    print(
        f"\nrebalance: events={REBALANCE_EVENTS} partitions={REBALANCE_PARTITIONS} "
        f"files={figures.files} rows={figures.rows} duplicates={figures.duplicates} "
        f"moves=[{'; '.join(f'{a} -> {b}: {n}' for (a, b), n in sorted(moves.items()))}] "
        f"temporaries_seen={len(watcher.hidden_seen)} elapsed={time.monotonic() - began:.1f}s"
    )


def _wait_until(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _catalog(lake: Path) -> SqlCatalog:
    return SqlCatalog("lake", uri=f"sqlite:///{lake / 'catalog.db'}", warehouse=lake.as_uri())


def _table_rows(lake: Path, topic: str) -> int:
    if not (lake / "catalog.db").exists():
        return 0
    with closing(_catalog(lake)) as catalog:
        if not catalog.table_exists(("lake", topic)):
            return 0
        snapshot = catalog.load_table(("lake", topic)).current_snapshot()
    if snapshot is None or snapshot.summary is None:
        return 0
    return int(snapshot.summary.get("total-records") or 0)


def test_sigkill_at_random_moments_leaves_every_event_once_in_the_iceberg_table(
    kafka_bootstrap: str,
    eo_registry: str,
    topic: str,
    process_dirs: ProcessDirs,
    make_writer: WriterFactory,
) -> None:
    began = time.monotonic()
    _create_topic(kafka_bootstrap, topic, CRASH_PARTITIONS)
    lake = process_dirs.make("lake") / "lake"
    group = f"lake-{uuid.uuid4().hex[:8]}"
    # Small batches: a commit every few hundred records, so kills land during commits too.
    writer = make_writer(topic=topic, lake=lake, group_id=group, max_records=500)
    writer.extra["CONSUMER_FORMAT"] = "iceberg"
    # The catalog beside the table (no PostgreSQL runs here): the file `_table_rows` reads.
    writer.extra["CONSUMER_CATALOG_URL"] = f"sqlite:///{lake / 'catalog.db'}"
    rng = random.Random(CRASH_SEED)
    source = EventSource(kafka_bootstrap, eo_registry, topic, CRASH_EVENTS, seconds=20.0)
    source.start()
    kills = [f"{run.delay:.2f}s" for run in _kill_at_random_moments(writer, group, rng)]
    writer.extra["CONSUMER_GROUP_ID"] = f"{group}-last"
    since = _start(writer)
    source.join(60)
    _wait_until(lambda: _table_rows(lake, topic) >= CRASH_EVENTS, 180 - (time.monotonic() - began))
    _stop_gracefully(writer, since)

    with closing(_catalog(lake)) as catalog:
        _check_table(catalog.load_table(("lake", topic)), source, kafka_bootstrap, kills, began)


def _check_table(
    table: Table, source: EventSource, bootstrap: str, kills: list[str], began: float
) -> None:
    """The table against the topic, before and after maintenance: each event once."""
    topic = source.topic
    ids = [str(event_id) for event_id in table.scan().to_arrow().column("event_id").to_pylist()]
    assert len(ids) - len(set(ids)) == 0, "event ids in the table more than once"
    assert sorted(ids) == sorted(source.event_ids)
    records = _read_topic(bootstrap, topic, CRASH_PARTITIONS)
    ends = {partition: max(offsets) + 1 for partition, offsets in records.items()}
    assert next_offsets(table, topic) == ends
    counts = [len(table.scan(snapshot_id=s.snapshot_id).to_arrow()) for s in table.snapshots()]
    assert counts == sorted(counts), "a snapshot holds fewer rows than the one before it"

    # Files a kill left between writing them and committing: no snapshot references them.
    left_by_kills = remove_orphans(table, older_than=datetime.now(UTC))
    report = maintain_now(table, topic)
    after = [str(event_id) for event_id in table.scan().to_arrow().column("event_id").to_pylist()]
    assert sorted(after) == sorted(ids)
    assert remove_orphans(table, older_than=datetime.now(UTC)) == 0
    assert next_offsets(table, topic) == ends
    print(
        f"\niceberg crash: events={CRASH_EVENTS} kills={len(kills)} snapshots={len(counts)} "
        f"rows={len(ids)} duplicates=0 orphans_left_by_kills={left_by_kills} "
        f"orphans_after_expiry={report.orphans_removed} "
        f"files_compacted={report.files_compacted} kill_delays={','.join(kills)} "
        f"elapsed={time.monotonic() - began:.1f}s"
    )
