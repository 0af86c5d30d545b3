"""The outbox table, and the constants every reader and writer of it must agree on."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from producer_api.database import Base

# Outbox rows are spread over this many buckets by key; a relay holds a bucket's lock while it
# sends the bucket's rows, so one key's events leave in order even with several relays.
BUCKETS = 16
# The API notifies this channel after committing rows; relays listen on it.
WAKE_CHANNEL = "outbox_wake"


class OutboxEvent(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, nullable=False)
    aggregate_type: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    aggregate_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    event_type: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    topic: Mapped[str] = mapped_column(sa.String(249), nullable=False)
    message_key: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    bucket: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    schema_subject: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    schema_version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), nullable=True)

    __table_args__ = (
        # What the relay scans: unsent rows of a bucket in id order. Partial, so it stays
        # small however many sent rows wait for the retention cleanup; on `id + 0`, so the
        # planner cannot walk the primary key instead (see migration 0002).
        sa.Index(
            "ix_outbox_unsent_by_bucket",
            "bucket",
            sa.text("(id + 0)"),
            postgresql_where=sa.text("sent_at IS NULL"),
        ),
        # Room on each page for the row's sent version (see migration 0003).
        {"postgresql_with": {"fillfactor": 80}},
    )
