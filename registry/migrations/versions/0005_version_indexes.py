"""Indexes that let a registration read only the versions it needs, not a subject's history.

Revision ID: 0005
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

# Spelled as the queries spell it (`deleted IS false`), so both databases use the index.
_LIVE = sa.column("deleted", sa.Boolean).is_(False)


def upgrade() -> None:
    # (schema_id, subject, version) serves every lookup by schema_id the old index served.
    op.create_index(
        "ix_subject_versions_schema", "subject_versions", ["schema_id", "subject", "version"]
    )
    op.drop_index("ix_subject_versions_schema_id", table_name="subject_versions")
    op.create_index(
        "ix_subject_versions_live",
        "subject_versions",
        ["subject", "version"],
        postgresql_where=_LIVE,
        sqlite_where=_LIVE,
    )


def downgrade() -> None:
    op.drop_index("ix_subject_versions_live", table_name="subject_versions")
    op.create_index("ix_subject_versions_schema_id", "subject_versions", ["schema_id"])
    op.drop_index("ix_subject_versions_schema", table_name="subject_versions")
