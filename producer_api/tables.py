"""The API's tables: users and the outbox of their events (SQLAlchemy 2 models)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

API_VERSION = "0.0.1"
# Outbox rows are spread over this many buckets by key; a relay holds a bucket's lock while it
# sends the bucket's rows, so one key's events leave in order even with several relays.
BUCKETS = 16


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    country_code: Mapped[str] = mapped_column(sa.String(2), nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    is_a_dog: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    api_version: Mapped[str] = mapped_column(sa.String(16), nullable=False, default=API_VERSION)
    inserted_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )

    __table_args__ = (sa.UniqueConstraint("username", name="uq_users_username"),)


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
