"""A counter bumped by every write, so processes can tell their caches are current.

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
    generation = op.create_table(
        "generation",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(generation, [{"name": "registry", "value": 0}])


def downgrade() -> None:
    op.drop_table("generation")
