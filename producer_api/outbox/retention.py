"""Deleting sent outbox rows once they are past retention."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

# Looks at the oldest rows only (a range of the primary key), so a pass costs the same
# however large the table; rows past retention are the oldest ones.
_DELETE_OLDEST_SENT = sa.text(
    """
    DELETE FROM outbox WHERE id IN (
        SELECT id FROM (SELECT id, sent_at FROM outbox ORDER BY id LIMIT :limit) AS oldest
        WHERE sent_at < now() - make_interval(secs => :seconds)
    )
    """
)


def delete_sent(
    engine: sa.Engine, *, older_than_seconds: float, batch: int, stopping: Callable[[], bool]
) -> int:
    """Delete rows sent more than ``older_than_seconds`` ago, ``batch`` rows a transaction,
    until a pass deletes fewer than ``batch`` or ``stopping()``; returns how many."""
    parameters = {"seconds": older_than_seconds, "limit": batch}
    deleted = batch
    total = 0
    while deleted == batch and not stopping():
        with engine.begin() as connection:
            deleted = connection.execute(_DELETE_OLDEST_SENT, parameters).rowcount
        total += deleted
    return total
