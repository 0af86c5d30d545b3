"""Outbox indexes for the relay: only what the claim needs.

The claim orders a bucket's unsent rows by id. Ordered by `id`, the planner may walk the
primary key and filter, which looks cheap but skips every sent row at the low ids: a drain
of a large backlog turns quadratic. Ordering by `id + 0` matches only the partial index.

Marking a row sent writes a new version of it into every index; the unique index on
event_id (random UUIDs, one per event by construction) and the index on sent_at (the cleanup
walks the primary key instead) made that write twice as dear, so they go.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("outbox_event_id_key", "outbox", type_="unique")
    op.drop_index("ix_outbox_sent_at", table_name="outbox")
    op.drop_index("ix_outbox_unsent", table_name="outbox")
    op.create_index(
        "ix_outbox_unsent_by_bucket",
        "outbox",
        ["bucket", sa.text("(id + 0)")],
        postgresql_where=sa.text("sent_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_unsent_by_bucket", table_name="outbox")
    op.create_index(
        "ix_outbox_unsent", "outbox", ["bucket", "id"], postgresql_where=sa.text("sent_at IS NULL")
    )
    op.create_index(
        "ix_outbox_sent_at", "outbox", ["sent_at"], postgresql_where=sa.text("sent_at IS NOT NULL")
    )
    op.create_unique_constraint("outbox_event_id_key", "outbox", ["event_id"])
