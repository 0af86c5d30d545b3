"""What lets registrations keep pace: indexes that answer a registration's questions without
reading a subject's history, and on PostgreSQL a sequence of schema ids that no transaction
waits for (id_allocator stays SQLite's).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
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
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE schema_ids")
        # The next id follows the last one handed out (1 on an empty registry).
        op.execute(
            "SELECT setval('schema_ids', greatest(last_id, 1), last_id > 0) "
            "FROM id_allocator WHERE name = 'schema'"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE id_allocator SET last_id = "
            "(SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END "
            "FROM schema_ids) WHERE name = 'schema'"
        )
        op.execute("DROP SEQUENCE schema_ids")
    op.drop_index("ix_subject_versions_live", table_name="subject_versions")
    op.create_index("ix_subject_versions_schema_id", "subject_versions", ["schema_id"])
    op.drop_index("ix_subject_versions_schema", table_name="subject_versions")
