"""Room for READONLY_OVERRIDE (17 characters) in modes.mode.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: SQLite cannot ALTER a column in place; PostgreSQL simply alters it.
    with op.batch_alter_table("modes") as batch:
        batch.alter_column("mode", type_=sa.String(32), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("modes") as batch:
        batch.alter_column("mode", type_=sa.String(16), existing_nullable=False)
