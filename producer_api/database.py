"""The API's database: one engine per process, migrations applied once at start."""

from __future__ import annotations

from importlib import resources

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.orm import DeclarativeBase

from platform_common import advisory_locks
from platform_common.database import engine_url


class Base(DeclarativeBase):
    """The metadata of the API's tables: `users` (users.py) and `outbox` (outbox/table.py)."""


def open_engine(database_url: str, *, pool_size: int = 5) -> sa.Engine:
    url = engine_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ValueError("the users API needs PostgreSQL (DATABASE_URL=postgresql://…)")
    # No pre-ping: it costs a round trip per request. A connection that died with the server
    # fails its statement and the pool then drops every connection of that generation; the
    # user insert tries once more on a new one (service.py), other requests answer 503.
    return sa.create_engine(url, pool_size=pool_size, max_overflow=pool_size)


def migrate(engine: sa.Engine) -> None:
    """Create or upgrade the tables; several processes may call this at once."""
    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("producer_api").joinpath("migrations"))
    )
    with engine.begin() as connection:
        connection.execute(
            sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": advisory_locks.API_MIGRATIONS}
        )
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
