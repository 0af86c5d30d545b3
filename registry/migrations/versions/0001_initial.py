"""The registry's first tables.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schemas",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("fingerprint", sa.String(64), nullable=False, unique=True),
        sa.Column("schema_type", sa.String(16), nullable=False),
        sa.Column("schema_text", sa.Text, nullable=False),
        sa.Column("references", sa.JSON, nullable=False),
        sa.Column("metadata", sa.JSON, nullable=True),
        sa.Column("rule_set", sa.JSON, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    )
    op.create_table("subjects", sa.Column("name", sa.Text, primary_key=True))
    op.create_table(
        "subject_versions",
        sa.Column("subject", sa.Text, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("schema_id", sa.Integer, sa.ForeignKey("schemas.id"), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    )
    op.create_index("ix_subject_versions_schema_id", "subject_versions", ["schema_id"])
    op.create_table(
        "schema_references",
        sa.Column("schema_id", sa.Integer, sa.ForeignKey("schemas.id"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_schema_references_target", "schema_references", ["subject", "version"])
    op.create_table(
        "configs",
        sa.Column("scope", sa.Text, primary_key=True),
        sa.Column("config", sa.JSON, nullable=False),
    )
    op.create_table(
        "modes",
        sa.Column("scope", sa.Text, primary_key=True),
        sa.Column("mode", sa.String(16), nullable=False),
    )
    allocator = op.create_table(
        "id_allocator",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("last_id", sa.Integer, nullable=False),
    )
    op.bulk_insert(allocator, [{"name": "schema", "last_id": 0}])


def downgrade() -> None:
    for table in (
        "id_allocator",
        "modes",
        "configs",
        "schema_references",
        "subject_versions",
        "subjects",
        "schemas",
    ):
        op.drop_table(table)
