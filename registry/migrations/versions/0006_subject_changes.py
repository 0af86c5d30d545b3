"""Each subject counts the write transactions that locked it, so that a registration can
tell, from the lock alone, whether what it read before the lock still holds.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subjects") as table:
        table.add_column(
            sa.Column("changes", sa.BigInteger, nullable=False, server_default=sa.text("0"))
        )


def downgrade() -> None:
    with op.batch_alter_table("subjects") as table:
        table.drop_column("changes")
