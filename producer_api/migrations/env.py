"""Alembic environment: migrations run on the connection the API or relay hands over."""

from __future__ import annotations

from alembic import context

from producer_api import users as _users  # noqa: F401
from producer_api.database import Base

# Imported for their tables: each registers its own with Base.metadata.
from producer_api.outbox import table as _outbox_table  # noqa: F401

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()
