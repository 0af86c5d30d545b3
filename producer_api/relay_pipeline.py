"""Batches in a pipeline: the database works on one batch while the next one is produced.

Serializing is Python work, and the claim, the mark and the broker's acks are waits, so they
overlap. While the main thread produces batch n+1 it serves delivery reports, and as soon as
batch n is answered the database thread commits n's marks and claims batch n+2 in the buckets
n released; so when n+1 is produced, n+2 is usually ready. Each batch is one transaction on
its own connection, and all of a connection's statements run on the database thread. A
bucket's rows still leave in id order: the next batch that may lock a bucket is claimed only
after the batch holding it committed.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa
from confluent_kafka import Producer

from producer_api.relay_batch import (
    Claim,
    Delivery,
    InFlight,
    Serializers,
    await_acks,
    claim,
    mark_sent,
    produce_rows,
)

T = TypeVar("T")

# Rows produced between two looks at the delivery reports.
_POLL_EVERY = 250


@dataclass
class _OpenBatch:
    connection: sa.Connection
    transaction: sa.RootTransaction
    claim: Claim


@dataclass(frozen=True)
class _Sending:
    batch: _OpenBatch
    in_flight: InFlight


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
        *,
        batch_size: int,
        max_buckets: int,
        delivery_timeout: float,
    ) -> None:
        self.engine = engine
        self.producer = producer
        self.serializers = serializers
        self.batch_size = batch_size
        # Half the buckets at most, so that two batches can be open at once.
        self.max_buckets = max(1, min(max_buckets, 8))
        self.delivery_timeout = delivery_timeout
        self._database = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relay-db")

    def drain(self, stopping: Callable[[], bool]) -> DrainResult:
        """Send batches until no bucket this relay may lock has rows left."""
        sent = 0
        failure: str | None = None
        opened: list[_OpenBatch] = []
        upcoming: Future[_OpenBatch] | None = self._on_database(self._open)
        closing: Future[int] | None = None
        # Produced, its acks still coming: at most one batch at a time.
        waiting: _Sending | None = None
        found_empty = False
        try:
            while upcoming is not None:
                batch = upcoming.result()
                upcoming = None
                opened.append(batch)
                if closing is not None:
                    # Done already: it was queued before the claim just received.
                    sent += closing.result()
                    closing = None
                if not batch.claim.rows or stopping():
                    if waiting is None and not found_empty and not stopping():
                        # Claimed while the empty batch still holds its buckets, so from the
                        # others: a drain ends only once every bucket it could lock was empty.
                        found_empty = True
                        upcoming = self._on_database(self._open)
                        self._on_database(self._abandon, batch)
                        continue
                    self._on_database(self._abandon, batch)
                    if waiting is None:
                        break
                    more = waiting.batch.claim.more and not stopping()
                    closing, upcoming, failure = self._hand_over(
                        waiting, timeout=self.delivery_timeout, claim_next=more
                    )
                    waiting = None
                    continue
                found_empty = False
                if waiting is None:
                    # Only this batch holds buckets: the next claim may take the others now.
                    upcoming = self._on_database(self._open)
                in_flight = InFlight()
                for start in range(0, len(batch.claim.rows), _POLL_EVERY):
                    rows = batch.claim.rows[start : start + _POLL_EVERY]
                    produce_rows(rows, self.producer, self.serializers, in_flight)
                    self.producer.poll(0)
                    if waiting is not None and waiting.in_flight.answered:
                        # Free the previous batch's buckets for the next claim while this
                        # batch is still being produced.
                        closing, upcoming, failure = self._hand_over(
                            waiting, timeout=0.0, claim_next=True
                        )
                        waiting = None
                if waiting is not None:
                    closing, upcoming, failure = self._hand_over(
                        waiting, timeout=self.delivery_timeout, claim_next=True
                    )
                waiting = _Sending(batch, in_flight)
                if failure is not None:
                    # Keep what the broker does take of this batch, so it is not sent again.
                    delivery = await_acks(in_flight, self.producer, timeout=1.0)
                    sent += self._on_database(self._close, batch, delivery).result()
                    break
            if closing is not None:
                sent += closing.result()
            return DrainResult(sent=sent, failure=failure)
        finally:
            if upcoming is not None and upcoming.exception() is None:
                opened.append(upcoming.result())
            if closing is not None:
                closing.exception()
            for batch in opened:
                self._on_database(self._abandon, batch).result()

    def _hand_over(
        self, waiting: _Sending, *, timeout: float, claim_next: bool
    ) -> tuple[Future[int], Future[_OpenBatch] | None, str | None]:
        """Mark what the broker acked of a produced batch, which frees its buckets, and
        claim the next batch unless this one failed."""
        delivery = await_acks(waiting.in_flight, self.producer, timeout=timeout)
        closing = self._on_database(self._close, waiting.batch, delivery)
        if delivery.failure is not None or not claim_next:
            return closing, None, delivery.failure
        return closing, self._on_database(self._open), None

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
