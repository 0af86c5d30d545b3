"""What the outbox holds: the backlog the relay has yet to send, and sent rows kept."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

# Unsent rows come from the partial index ix_outbox_unsent_by_bucket; sent rows are those
# the relay's retention cleanup has not deleted yet.
_OUTBOX_STATS = sa.text(
    """
    SELECT unsent.rows AS backlog,
           COALESCE(EXTRACT(EPOCH FROM now() - unsent.oldest), 0)::float8 AS oldest_age,
           (SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL) AS sent
    FROM (SELECT count(*) AS rows, min(created_at) AS oldest
          FROM outbox WHERE sent_at IS NULL) AS unsent
    """
)


@dataclass(frozen=True)
class OutboxStats:
    backlog: int
    # Seconds since the oldest unsent row was written; 0 when none waits.
    oldest_unsent_age: float
    sent_kept: int


def read_stats(engine: sa.Engine) -> OutboxStats:
    """One query; SQLAlchemy's error when the database does not answer."""
    with engine.connect() as connection:
        row = connection.execute(_OUTBOX_STATS).one()
    return OutboxStats(backlog=row.backlog, oldest_unsent_age=row.oldest_age, sent_kept=row.sent)
