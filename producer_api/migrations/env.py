"""Alembic environment: migrations run on the connection the API or relay hands over."""

from __future__ import annotations

from alembic import context

from producer_api.tables import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()
