"""Batches in a pipeline: while one batch's acks come back, the next one is produced.

Serializing is Python work, and the claim, the mark and the broker's acks are waits, so they
overlap: a database thread claims batch n+1 (other buckets: batch n still holds its locks)
while the main thread produces batch n; the main thread produces n+1 while n's acks arrive;
then the database thread commits n's marks and claims n+2 in the buckets n released. Each
batch is one transaction on its own connection, and all of a connection's statements run on
the database thread. A bucket's rows still leave in id order: the next batch that may lock a
bucket starts only after the batch holding it committed.
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
    Serializers,
    await_acks,
    claim,
    mark_sent,
    produce_rows,
)

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
        current = self._on_database(self._open).result()
        upcoming = self._on_database(self._open)
        opened = [current]
        try:
            in_flight = produce_rows(current.claim.rows, self.producer, self.serializers)
            while current.claim.rows and not stopping():
                # Claimed while `current` was produced; produced while its acks come back.
                following = upcoming.result()
                opened.append(following)
                following_in_flight = produce_rows(
                    following.claim.rows, self.producer, self.serializers
                )
                delivery = await_acks(in_flight, self.producer, timeout=self.delivery_timeout)
                marked = self._on_database(self._close, current, delivery.acked)
                # Queued after the close, so it may lock the buckets `current` releases.
                upcoming = self._on_database(self._open)
                marked.result()
                sent += len(delivery.acked)
                if delivery.failure is not None:
                    # Keep what the broker did take of the next batch, so it is not resent.
                    late = await_acks(following_in_flight, self.producer, timeout=1.0)
                    self._on_database(self._close, following, late.acked).result()
                    return DrainResult(sent=sent + len(late.acked), failure=delivery.failure)
                more = current.claim.more
                current, in_flight = following, following_in_flight
                if not (more or current.claim.rows):
                    break
            if current.claim.rows:
                # Stopping: what was produced of the last batch is still marked if acked.
                delivery = await_acks(in_flight, self.producer, timeout=self.delivery_timeout)
                self._on_database(self._close, current, delivery.acked).result()
                sent += len(delivery.acked)
            return DrainResult(sent=sent)
        finally:
            for batch in opened:
                self._on_database(self._abandon, batch).result()
            self._on_database(self._abandon, upcoming.result()).result()

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
    def _close(batch: _OpenBatch, acked: list[int]) -> None:
        try:
            mark_sent(batch.connection, acked)
            batch.transaction.commit()
        finally:
            batch.connection.close()

    @staticmethod
    def _abandon(batch: _OpenBatch) -> None:
        """Release a batch that will not be sent (or was closed already): nothing changes."""
        if batch.transaction.is_active:
            batch.transaction.rollback()
        batch.connection.close()
