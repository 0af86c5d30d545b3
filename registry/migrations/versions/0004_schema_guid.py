"""Each schema's GUID (Confluent 8), filled in for the schemas already stored.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from registry.guid import schema_guid
from registry.schema import SchemaReference

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_schemas = sa.table(
    "schemas",
    sa.column("id", sa.Integer),
    sa.column("schema_text", sa.Text),
    sa.column("references", sa.JSON),
    sa.column("metadata", sa.JSON),
    sa.column("rule_set", sa.JSON),
    sa.column("guid", sa.String(36)),
)


def upgrade() -> None:
    op.add_column("schemas", sa.Column("guid", sa.String(36), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            _schemas.c.id,
            _schemas.c.schema_text,
            _schemas.c.references,
            _schemas.c.metadata,
            _schemas.c.rule_set,
        )
    ).all()
    for row in rows:
        references = [
            SchemaReference(name=ref["name"], subject=ref["subject"], version=int(ref["version"]))
            for ref in row.references
        ]
        guid = schema_guid(row.schema_text, references, row.metadata, row.rule_set)
        connection.execute(_schemas.update().where(_schemas.c.id == row.id).values(guid=guid))
    # Batch mode: SQLite cannot ALTER a column in place; PostgreSQL simply alters it.
    with op.batch_alter_table("schemas") as batch:
        batch.alter_column("guid", existing_type=sa.String(36), nullable=False)
        batch.create_index("ix_schemas_guid", ["guid"])


def downgrade() -> None:
    with op.batch_alter_table("schemas") as batch:
        batch.drop_index("ix_schemas_guid")
        batch.drop_column("guid")
