"""Batches in a pipeline: the database claims the next batch while this one is produced.

Serializing is Python work, and the claim, the mark and the broker's acks are waits, so they
overlap. While the main thread produces batch n and waits for its acks, the database thread
commits the marks of batch n-1, which frees its buckets, and then claims batch n+1 from every
bucket n does not hold; so when n is acknowledged, n+1 is usually ready. A batch that took
every row its claim could see ends the drain: the next rows come with the next wake-up, and
a claim made now would mostly find nothing, a transaction spent per batch. Each batch is one
transaction on its own connection, and all of a connection's statements run on the database
thread, in the order they were queued. A bucket's rows still leave in id order: the next
batch that may lock a bucket is claimed only after the batch holding it committed.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa
from confluent_kafka import Producer

from producer_api.outbox.claim import Claim, claim, mark_sent
from producer_api.relay.delivery import Delivery, DeliveryFailures, Serializers, send_rows

T = TypeVar("T")


@dataclass
class _OpenBatch:
    connection: sa.Connection
    transaction: sa.RootTransaction
    claim: Claim


@dataclass(frozen=True)
class DrainResult:
    sent: int
    failure: str | None = None


class BatchPipeline:
    def __init__(
        self,
        engine: sa.Engine,
        producer: Producer,
        serializers: Serializers,
        failures: DeliveryFailures,
        *,
        batch_size: int,
        max_buckets: int,
        delivery_timeout: float,
    ) -> None:
        self.engine = engine
        self.producer = producer
        self.serializers = serializers
        self.failures = failures
        self.batch_size = batch_size
        # Half the buckets at most, so that the next batch finds free ones.
        self.max_buckets = max(1, min(max_buckets, 8))
        # Longer than the producer's own delivery timeout: by then every record is answered.
        self.flush_timeout = delivery_timeout + 5.0
        self._database = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relay-db")

    def drain(self, stopping: Callable[[], bool]) -> DrainResult:
        """Send batches until no bucket this relay may lock has rows left (as of the last
        claim: rows committed after it come with a wake-up)."""
        sent = 0
        failure: str | None = None
        upcoming: Future[_OpenBatch] | None = self._on_database(self._open)
        # Claimed and being produced: nobody else will release it if sending fails.
        sending: _OpenBatch | None = None
        closing: Future[int] | None = None
        # Whether the last batch sent left rows in some of its buckets.
        left_rows = False
        try:
            while upcoming is not None:
                batch = upcoming.result()
                upcoming = None
                if not batch.claim.rows or stopping():
                    self._on_database(self._abandon, batch)
                    if left_rows and not stopping():
                        # Claimed while the last batch still held its buckets: look at those
                        # once more, now that its marks are queued before this claim.
                        left_rows = False
                        upcoming = self._on_database(self._open)
                    continue
                sending = batch
                if batch.claim.more:
                    upcoming = self._on_database(self._open)
                delivery = send_rows(
                    batch.claim.rows,
                    self.producer,
                    self.serializers,
                    self.failures,
                    timeout=self.flush_timeout,
                )
                if closing is not None:
                    sent += closing.result()
                closing = self._on_database(self._close, batch, delivery)
                sending = None
                left_rows = batch.claim.more
                if delivery.failure is not None:
                    failure = delivery.failure
                    break
            if closing is not None:
                sent += closing.result()
                closing = None
            return DrainResult(sent=sent, failure=failure)
        finally:
            releasing = [sending] if sending is not None else []
            if upcoming is not None and upcoming.exception() is None:
                releasing.append(upcoming.result())
            if closing is not None:
                closing.exception()
            for batch in releasing:
                self._on_database(self._abandon, batch).result()

    def close(self) -> None:
        self._database.shutdown(wait=True)

    def _on_database(self, work: Callable[..., T], *args: object) -> Future[T]:
        return self._database.submit(work, *args)

    def _open(self) -> _OpenBatch:
        connection = self.engine.connect()
        transaction = connection.begin()
        try:
            claimed = claim(connection, batch_size=self.batch_size, max_buckets=self.max_buckets)
        except BaseException:
            transaction.rollback()
            connection.close()
            raise
        return _OpenBatch(connection, transaction, claimed)

    @staticmethod
    def _close(batch: _OpenBatch, delivery: Delivery) -> int:
        """Mark the acked rows sent and commit: the batch's buckets are free again."""
        try:
            mark_sent(batch.connection, delivery.acked)
            batch.transaction.commit()
        finally:
            batch.connection.close()
        return len(delivery.acked)

    @staticmethod
    def _abandon(batch: _OpenBatch) -> None:
        """Release a batch that will not be sent (or was closed already): nothing changes."""
        if batch.transaction.is_active:
            batch.transaction.rollback()
        batch.connection.close()
