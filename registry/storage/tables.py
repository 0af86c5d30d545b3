"""The registry's tables. On PostgreSQL they live in schema `registry` (via search_path)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# One row per distinct schema; the id is the one clients embed in every Kafka record.
schemas = sa.Table(
    "schemas",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("fingerprint", sa.String(64), nullable=False, unique=True),
    sa.Column("schema_type", sa.String(16), nullable=False),
    sa.Column("schema_text", sa.Text, nullable=False),
    sa.Column("references", sa.JSON, nullable=False),
    sa.Column("metadata", sa.JSON, nullable=True),
    sa.Column("rule_set", sa.JSON, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    # Confluent 8's name of the schema, for records that carry it instead of the id.
    sa.Column("guid", sa.String(36), nullable=False, index=True),
)

# Subject rows exist to be locked: every change to a subject holds its row lock, taken by
# counting the change, so a registration learns from the lock whether anything changed the
# subject since it read it.
subjects = sa.Table(
    "subjects",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("changes", sa.BigInteger, nullable=False, server_default=sa.text("0")),
)

subject_versions = sa.Table(
    "subject_versions",
    metadata,
    sa.Column("subject", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("schema_id", sa.Integer, sa.ForeignKey("schemas.id"), nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    # The versions of a schema, in one subject or in all: a registration asks whether its
    # schema is already in the subject, however many subjects share the schema.
    sa.Index("ix_subject_versions_schema", "schema_id", "subject", "version"),
)
# A subject's live versions without stepping over its soft-deleted ones: its newest live
# version is one index probe, however long the history.
sa.Index(
    "ix_subject_versions_live",
    subject_versions.c.subject,
    subject_versions.c.version,
    postgresql_where=subject_versions.c.deleted.is_(False),
    sqlite_where=subject_versions.c.deleted.is_(False),
)

schema_references = sa.Table(
    "schema_references",
    metadata,
    sa.Column("schema_id", sa.Integer, sa.ForeignKey("schemas.id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("ix_schema_references_target", "subject", "version"),
)

# Compatibility configuration and mode, per subject or for the whole registry (scope "").
configs = sa.Table(
    "configs",
    metadata,
    sa.Column("scope", sa.Text, primary_key=True),
    sa.Column("config", sa.JSON, nullable=False),
)

modes = sa.Table(
    "modes",
    metadata,
    sa.Column("scope", sa.Text, primary_key=True),
    sa.Column("mode", sa.String(32), nullable=False),
)

# Schema ids are never reused, even after the schema they named was permanently deleted
# (ids.py): on PostgreSQL they come from this sequence; on SQLite from the row below, the
# last id handed out.
schema_ids = sa.Sequence("schema_ids", metadata=metadata)
id_allocator = sa.Table(
    "id_allocator",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("last_id", sa.Integer, nullable=False),
)

# Bumped by every transaction that changes anything, on PostgreSQL: a process compares it
# with the value its caches were filled at instead of re-reading a subject. The new value is
# pushed to every process (notify.py); a watcher not yet listening queries it. SQLite's own
# data_version plays this part there (sqlite.py), and this row stays as it is.
generation = sa.Table(
    "generation",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)
