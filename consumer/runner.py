"""The lake writer's consumer loop: decode, buffer, write to the lake, then commit.

The lake is the truth (its files, or its Iceberg table's newest snapshot). An offset is
committed only once every record below it is in the lake or in the dead-letter topic; on
assignment a partition resumes after the highest offset the lake holds (or its committed
offset, if that is further: records that went to the dead-letter topic are not in the lake).
A crash at any instant so leaves no offset in the lake twice and none lost: the records
after the lake's last batch are read again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import suppress
from typing import Any

import structlog
from confluent_kafka import (
    OFFSET_INVALID,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)
from confluent_kafka.schema_registry import SchemaRegistryClient
from prometheus_client import Counter, Gauge

from consumer.dead_letter import DeadLetters
from consumer.decode import Decoder, EventDates, ReaderSchema, Rejected
from consumer.dedup import RecentIds
from consumer.lake import open_lake
from consumer.settings import ConsumerSettings, SettingsError
from consumer.sink import (
    AlreadyCommittedError,
    ClosedBatch,
    RotationPolicy,
    RotationReason,
    Rotator,
    estimate_record_size,
    row_maker,
)
from contract import metrics as metric_names
from contract.framing import SchemaRef
from contract.kafka_client import secured
from contract.registry_client import REGISTRY_FAILED

log = structlog.get_logger("consumer")

RECORDS_IN = Counter(metric_names.CONSUMER_RECORDS, "Records consumed, by outcome.", ["outcome"])
FILES_WRITTEN = Counter(
    metric_names.CONSUMER_FILES, "Files written, by rotation reason.", ["reason"]
)
DEAD_LETTERS = Counter(
    metric_names.CONSUMER_DEAD_LETTERS, "Records dead-lettered, by reason.", ["reason"]
)
PARTITION_LAG = Gauge(
    metric_names.CONSUMER_PARTITION_LAG,
    "Records in an owned partition not yet consumed (high watermark minus position).",
    ["partition"],
)

# Children resolved once: `labels()` per record costs as much as a field of decoding.
_BUFFERED = RECORDS_IN.labels(outcome="buffered")
_DEAD_LETTERED = RECORDS_IN.labels(outcome="dead_letter")
_DUPLICATES = RECORDS_IN.labels(outcome="duplicate")

# A record the fast path could not decode: its fault, or the registry's (retried).
_NOT_DECODED: tuple[type[Exception], ...] = (Rejected, *REGISTRY_FAILED)
_BATCH = 1000
_POLL_SECONDS = 0.2
_LAG_EVERY = 1.0


class LakeWriter:
    def __init__(self, settings: ConsumerSettings) -> None:
        self.settings = settings
        reader = ReaderSchema.load(settings.reader_schema_path())
        self.registry = SchemaRegistryClient(settings.registry_client_config())
        self.decoder = Decoder(self.registry, reader)
        self.event_dates = EventDates(reader.document)
        self.lake = open_lake(settings, reader.document)
        fields = self.lake.fields
        self._to_row = row_maker(fields)
        # Repeats of an event id (a relay's resend) are dropped; off with '' or a window of
        # 0 (None then). A name the reader schema lacks is a typo, not a way to turn it off.
        if settings.dedup_field and settings.dedup_field not in fields:
            raise SettingsError(
                f"CONSUMER_DEDUP_FIELD={settings.dedup_field!r} is not a field of the reader "
                f"schema (fields: {', '.join(fields)}); set it to '' to turn "
                "deduplication off"
            )
        self._dedup_field = (
            settings.dedup_field if settings.dedup_field and settings.dedup_window else None
        )
        self._recent: dict[int, RecentIds] = {}
        self.rotator = Rotator(
            RotationPolicy(
                max_records=settings.max_records,
                max_bytes=settings.max_bytes,
                max_age_seconds=settings.max_age_seconds,
            ),
            record_size_estimate=estimate_record_size(reader.document),
        )
        membership = (
            {"group.instance.id": settings.group_instance_id} if settings.group_instance_id else {}
        )
        self.consumer = Consumer(
            secured(
                {
                    **membership,
                    "bootstrap.servers": settings.kafka_bootstrap_servers,
                    "group.id": settings.group_id,
                    "enable.auto.commit": False,
                    "auto.offset.reset": "earliest",
                    "fetch.min.bytes": 1,
                    # Prefetch a few MB, not librdkafka's 64 MB: a small event's queue overhead
                    # is several times its bytes, and decoding, not fetching, is the bottleneck.
                    # With a small queue, refill at once (the 1 s default backoff stalls reads).
                    "queued.max.messages.kbytes": 2048,
                    "fetch.queue.backoff.ms": 20,
                    "log_level": 3,
                }
            )
        )
        self.dead_letters = DeadLetters(
            Producer(
                secured(
                    {
                        "bootstrap.servers": settings.kafka_bootstrap_servers,
                        "enable.idempotence": True,
                        "acks": "all",
                        "log_level": 3,
                    }
                )
            ),
            settings.dead_letter_topic,
        )
        # Per owned partition: the last offset consumed, and the last offset committed.
        self.assigned: set[int] = set()
        self._consumed: dict[int, int] = {}
        self._committed: dict[int, int] = {}
        self._lag_measured_at = 0.0

    def run(self, stopping: Callable[[], bool]) -> None:
        self.consumer.subscribe(
            [self.settings.events_topic],
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_lost,
        )
        try:
            while not stopping():
                self.step()
        finally:
            self._write_all(self.rotator.drain_all(RotationReason.SHUTDOWN))
            self._commit()
            self.consumer.close()
            self.registry.close()
            self.lake.close()

    def step(self) -> None:
        """One round: consume what is there, write what is due, commit what is durable."""
        # Wake up in time for the next age limit, so a file closes on the clock.
        timeout = _POLL_SECONDS
        next_due = self.rotator.next_due()
        if next_due is not None:
            timeout = min(timeout, max(0.0, next_due - time.monotonic()))
        messages = self.consumer.consume(num_messages=_BATCH, timeout=timeout)
        if messages:
            self._take(messages)
        # The age limit closes files on the clock, even when no record arrives.
        self._write_all(self.rotator.due())
        self._commit()
        self._measure_lag()

    def _take(self, messages: list[Message]) -> None:
        # The hot loop: a few calls per record, everything looked up once per batch.
        decode = self.decoder.decode
        event_date = self.event_dates.of
        append = self.rotator.append
        to_row = self._to_row
        consumed = self._consumed
        dedup_field = self._dedup_field
        recent = self._recent
        buffered = duplicates = 0
        for message in messages:
            if message.error() is not None:
                self._consume_error(message)
                continue
            partition, offset = message.partition(), message.offset()
            if partition is None or offset is None:
                continue
            try:
                record, writer_schema = decode(message.value(), message.headers())
            except _NOT_DECODED:
                decoded = self._decode_patiently(message, partition, offset)
                if decoded is None:
                    consumed[partition] = offset
                    continue
                record, writer_schema = decoded
            if dedup_field is not None and not recent[partition].add(record[dedup_field]):
                consumed[partition] = offset
                duplicates += 1
                continue
            closed = append(
                partition, offset, event_date(record), to_row(record), writer_schema=writer_schema
            )
            consumed[partition] = offset
            buffered += 1
            if closed:
                self._write_all(closed)
        _BUFFERED.inc(buffered)
        if duplicates:
            _DUPLICATES.inc(duplicates)

    def _decode_patiently(
        self, message: Message, partition: int, offset: int
    ) -> tuple[dict[str, Any], SchemaRef] | None:
        """Decode a record the fast path could not: None once it is in the dead-letter topic;
        while the registry is down, wait for it (the record is not at fault)."""
        while True:
            try:
                return self.decoder.decode(message.value(), message.headers())
            except Rejected as rejected:
                self.dead_letters.send(message, rejected.reason, rejected.detail)
                DEAD_LETTERS.labels(reason=rejected.reason.value).inc()
                _DEAD_LETTERED.inc()
                log.warning(
                    "record_dead_lettered",
                    topic=message.topic(),
                    partition=partition,
                    offset=offset,
                    reason=rejected.reason.value,
                )
                return None
            except REGISTRY_FAILED as error:
                log.warning("registry_unavailable", error=type(error).__name__)
                time.sleep(1.0)

    @staticmethod
    def _consume_error(message: Message) -> None:
        error = message.error()
        if error is not None and error.code() != KafkaError._PARTITION_EOF:
            log.warning("consume_error", code=error.name())

    def _measure_lag(self) -> None:
        """Lag per owned partition, from the high watermarks fetches bring (no request)."""
        now = time.monotonic()
        if now - self._lag_measured_at < _LAG_EVERY:
            return
        self._lag_measured_at = now
        for partition in self.assigned:
            try:
                _low, high = self.consumer.get_watermark_offsets(
                    TopicPartition(self.settings.events_topic, partition), cached=True
                )
            except KafkaException:
                continue
            if high < 0:
                continue
            position = self._consumed.get(partition, self._committed.get(partition, 0) - 1) + 1
            PARTITION_LAG.labels(partition=str(partition)).set(max(0, high - position))

    def _write_all(self, batches: list[ClosedBatch] | tuple[ClosedBatch, ...]) -> None:
        rewound: set[int] = set()
        for batch in batches:
            if batch.partition in rewound:
                continue
            try:
                self.lake.write(batch)
            except AlreadyCommittedError:
                # Another writer took the partition over and wrote these offsets: read on
                # from where the lake stands, as a new owner would.
                log.warning(
                    "lake_batch_already_committed",
                    partition=batch.partition,
                    first_offset=batch.first_offset,
                    last_offset=batch.last_offset,
                )
                self._rewind(batch.partition)
                rewound.add(batch.partition)
                continue
            FILES_WRITTEN.labels(reason=batch.reason.value).inc()

    def _rewind(self, partition: int) -> None:
        """Drop the partition's buffer and read on from the lake's resume point."""
        self.rotator.discard([partition])
        resume = self._take_over(partition)
        self._consumed.pop(partition, None)
        if resume is None:
            return
        self._committed[partition] = max(resume, self._committed.get(partition, -1))
        try:
            self.consumer.seek(TopicPartition(self.settings.events_topic, partition, resume))
        except KafkaException as error:
            # Being revoked meanwhile: its next owner resumes from the lake all the same.
            log.warning("rewind_seek_failed", partition=partition, error=str(error.args[0].name()))

    def _take_over(self, partition: int) -> int | None:
        """Where the lake says the partition resumes; its dedup window refilled from there."""
        window = self.settings.dedup_window
        resume, recent_ids = self.lake.take_over(partition, field=self._dedup_field, window=window)
        if self._dedup_field is not None:
            self._recent[partition] = RecentIds(window, recent_ids)
        return resume

    def _commit(self, partitions: list[int] | None = None) -> None:
        """Commit, per partition, the first offset not yet durable (file or dead letter)."""
        open_buffers = self.rotator.open_first_offsets()
        offsets = []
        for partition in partitions if partitions is not None else list(self._consumed):
            consumed = self._consumed.get(partition)
            if consumed is None:
                continue
            safe = open_buffers.get(partition, consumed + 1)
            if safe > self._committed.get(partition, -1):
                offsets.append(TopicPartition(self.settings.events_topic, partition, safe))
        if not offsets:
            return
        # Dead letters first: an offset is committed only once its record is stored somewhere.
        self.dead_letters.flush(30.0)
        try:
            self.consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as error:
            kafka_error = error.args[0]
            if kafka_error.fatal():
                raise
            # The broker or the group coordinator is away: the lake already holds what these
            # offsets cover, so the commit can wait for the next round.
            log.warning("commit_deferred", error=kafka_error.name())
            return
        for committed in offsets:
            self._committed[committed.partition] = committed.offset

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        committed = {tp.partition: tp.offset for tp in consumer.committed(partitions, 30)}
        for tp in partitions:
            from_lake = self._take_over(tp.partition)
            stored = committed.get(tp.partition, OFFSET_INVALID)
            candidates = [o for o in (from_lake, stored) if o is not None and o >= 0]
            if candidates:
                tp.offset = max(candidates)
                self._committed[tp.partition] = tp.offset
            log.info("partition_assigned", topic=tp.topic, partition=tp.partition, offset=tp.offset)
        consumer.assign(partitions)
        self.assigned |= {tp.partition for tp in partitions}

    def _on_revoke(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        numbers = [tp.partition for tp in partitions]
        self._write_all(self.rotator.drain(numbers, RotationReason.REVOCATION))
        try:
            self._commit(numbers)
        except KafkaException as error:
            log.warning("commit_on_revoke_failed", error=str(error.args[0].name()))
        self._forget(numbers)

    def _on_lost(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        numbers = [tp.partition for tp in partitions]
        dropped = self.rotator.discard(numbers)
        log.warning("partitions_lost", partitions=numbers, dropped_records=dropped)
        self._forget(numbers)

    def _forget(self, partitions: list[int]) -> None:
        """Drop the state of partitions this consumer no longer owns."""
        for number in partitions:
            self._consumed.pop(number, None)
            self._committed.pop(number, None)
            self._recent.pop(number, None)
            with suppress(KeyError):
                PARTITION_LAG.remove(str(number))
        self.assigned -= set(partitions)
