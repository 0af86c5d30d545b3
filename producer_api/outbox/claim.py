"""The relay's side of the outbox: lock buckets, claim their unsent rows, mark rows sent."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from operator import itemgetter

import psycopg
import sqlalchemy as sa

from platform_common import advisory_locks
from producer_api.outbox.table import BUCKETS

# Try-lock, in the given order, the buckets that have unsent rows, and keep at most :limit of
# them, for this transaction only: the LIMIT stops the scan, so no more locks are taken than
# kept. Empty buckets are left alone, so that one claim covers every bucket a moderate load
# wrote to, and a drain needs no second claim to look at the buckets the first one skipped.
# OFFSET 0 keeps the lock out of the inner query: PostgreSQL would otherwise evaluate the
# cheap lock call before the index probe, and lock empty buckets too.
_LOCK_BUCKETS = sa.text(
    """
    SELECT bucket FROM (
        SELECT bucket FROM unnest(CAST(:order AS int[])) WITH ORDINALITY AS given(bucket, rank)
        WHERE EXISTS (SELECT FROM outbox WHERE sent_at IS NULL AND outbox.bucket = given.bucket)
        ORDER BY rank
        OFFSET 0
    ) AS pending
    WHERE pg_try_advisory_xact_lock(:base + bucket)
    LIMIT :limit
    """
)

# Rows are claimed by their unsent state, never by an id high-water mark: a transaction that
# commits late with a lower id is picked up by the next batch like any other row. Each bucket
# is read on its own (a range of the partial index, oldest first), so a claim costs the same
# whatever the backlog; order matters only within a bucket, where a key's events all are.
#
# No FOR UPDATE: the bucket's advisory lock already makes its rows this transaction's alone.
# Only a relay holding a bucket's lock reads or marks its unsent rows (the cleanup deletes
# sent rows only). A lock is released after its holder's commit is visible, and under READ
# COMMITTED this statement's snapshot is taken after _LOCK_BUCKETS returned, so it sees every
# mark of the bucket's previous holder and never claims a row that holder sent. Row locks
# would add a heap write and a WAL record per row (a fifth of the claim's cost) for nothing.
#
# The payload comes as JSON text and the rows as the driver's plain tuples: the database
# thread holds the GIL while it builds rows, so the main thread parses each payload instead,
# just before serializing it.
_CLAIM = """
    SELECT claimed.id, claimed.bucket, claimed.event_id::text, claimed.topic,
           claimed.message_key, claimed.payload::text, claimed.schema_subject,
           claimed.schema_version
    FROM unnest(%(buckets)s::int[]) AS locked(bucket)
    CROSS JOIN LATERAL (
        SELECT id, bucket, event_id, topic, message_key, payload, schema_subject,
               schema_version
        FROM outbox
        WHERE sent_at IS NULL AND outbox.bucket = locked.bucket
        ORDER BY id + 0
        LIMIT %(per_bucket)s
    ) AS claimed
    ORDER BY claimed.bucket, claimed.id
"""

# The ids go as one array literal: the driver would adapt a list of ints one by one.
_ASYNC_COMMIT = sa.text("SET LOCAL synchronous_commit = off")
_MARK_SENT = sa.text("UPDATE outbox SET sent_at = now() WHERE id = ANY(CAST(:ids AS bigint[]))")

# A claimed row as the driver returns it: (id, bucket, event_id, topic, message_key,
# payload as JSON text, schema_subject, schema_version).
OutboxRow = tuple[int, int, str, str, str, str, str, int]


@dataclass(frozen=True)
class Claim:
    """Rows one transaction holds through its buckets' advisory locks."""

    rows: list[OutboxRow]
    # True when rows may be left that this claim could have taken: some bucket had more than
    # it took, or other buckets with rows were beyond its limit.
    more: bool


def claim(connection: sa.Connection, *, batch_size: int, max_buckets: int) -> Claim:
    """Lock free buckets that have unsent rows (in random order) and claim their oldest.

    The locks last as long as the connection's transaction: commit it (after `mark_sent`)
    or roll it back to free the buckets.
    """
    order = list(range(BUCKETS))
    random.shuffle(order)
    buckets = list(
        connection.execute(
            _LOCK_BUCKETS,
            {"order": order, "base": advisory_locks.OUTBOX_BUCKETS, "limit": max_buckets},
        ).scalars()
    )
    if not buckets:
        return Claim(rows=[], more=False)
    per_bucket = max(1, batch_size // len(buckets))
    # The hot read of the relay: straight from the driver, in the same transaction.
    driver = connection.connection.driver_connection
    if not isinstance(driver, psycopg.Connection):
        raise TypeError("the relay needs a psycopg connection")
    with driver.cursor() as cursor:
        cursor.execute(_CLAIM, {"buckets": buckets, "per_bucket": per_bucket})
        rows: list[OutboxRow] = cursor.fetchall()
    counts = Counter(map(itemgetter(1), rows))
    full = any(count == per_bucket for count in counts.values())
    return Claim(rows=rows, more=full or len(buckets) == max_buckets)


def mark_sent(connection: sa.Connection, ids: list[int]) -> None:
    """Mark claimed rows sent, in the transaction that claimed them."""
    if ids:
        # The commit need not wait for its WAL to reach disk: a mark lost to a power cut
        # only sends those rows again, and the lake drops the copies by event id.
        connection.execute(_ASYNC_COMMIT)
        connection.execute(_MARK_SENT, {"ids": "{" + ",".join(map(str, ids)) + "}"})
