"""The registry's store: PostgreSQL (schema `registry`) or a single SQLite file.

It opens the engine, runs transactions (read-only ones apart), tells the generation that
moves with every write, and migrates the tables; the queries themselves are in sql.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from importlib import resources

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine

from platform_common import advisory_locks
from platform_common.database import engine_url, libpq_url
from registry.errors import StoreError
from registry.storage import sqlite
from registry.storage.driver import DriverStatement
from registry.storage.notify import CHANNEL, GenerationWatcher
from registry.storage.sql import SqlTransaction
from registry.storage.tables import generation

PG_SCHEMA = "registry"
_BUMPED = (
    generation.update()
    .where(generation.c.name == "registry")
    .values(value=generation.c.value + 1)
    .returning(generation.c.value)
    .cte("bumped")
)
# Bump and notify in one round trip: each writer holds this row until it commits.
_BUMP_GENERATION = DriverStatement(
    sa.select(_BUMPED.c.value, sa.func.pg_notify(CHANNEL, sa.cast(_BUMPED.c.value, sa.Text)))
)


def open_store(database_url: str, *, pool_size: int = 5) -> SqlRegistryStore:
    url = engine_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"timeout": 30})
        sqlite.configure(engine)
        return SqlRegistryStore(engine, sqlite_file=sqlite.SqliteFile(url.database))
    if url.get_backend_name() == "postgresql":
        engine = sa.create_engine(
            url,
            # No pre-ping: it costs a round trip per transaction. A connection that died with
            # the server fails its request, and the pool then drops every connection of its age.
            pool_size=pool_size,
            connect_args={"options": f"-c search_path={PG_SCHEMA}"},
        )
        return SqlRegistryStore(engine)
    backend = url.get_backend_name()
    raise StoreError(f"unsupported database {backend!r}: use PostgreSQL or SQLite")


class SqlRegistryStore:
    def __init__(self, engine: Engine, *, sqlite_file: sqlite.SqliteFile | None = None) -> None:
        self.engine = engine
        self.is_postgres = engine.dialect.name == "postgresql"
        self._sqlite_file = sqlite_file
        self._watcher: GenerationWatcher | None = None
        self._conninfo = libpq_url(engine.url)

    @contextmanager
    def transaction(self) -> Iterator[SqlTransaction]:
        try:
            with self._writing() as connection:
                transaction = SqlTransaction(connection, postgres=self.is_postgres)
                yield transaction
                # On SQLite the generation is the file's data_version, which moves by itself.
                # The bump goes with the COMMIT: the subjects' locks are held one round
                # trip less, and that is what other writers of a subject wait for.
                if transaction.changed and self.is_postgres:
                    value = transaction.commit_with(_BUMP_GENERATION)[0]["value"]
            if transaction.changed and self._watcher is not None:
                self._watcher.saw(int(value))
        except sa.exc.OperationalError as error:
            raise StoreError(f"the registry database is unavailable: {error.orig}") from error

    @contextmanager
    def read(self) -> Iterator[SqlTransaction]:
        try:
            with self._reading() as connection:
                yield SqlTransaction(connection, postgres=self.is_postgres)
        except sa.exc.OperationalError as error:
            raise StoreError(f"the registry database is unavailable: {error.orig}") from error

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        if not self.is_postgres:
            # A deferred transaction: one snapshot, and no wait for the writer.
            with self.engine.connect() as connection, connection.begin():
                yield connection
            return
        # Each statement reads what was committed when it began, as it would in a READ
        # COMMITTED transaction, without the round trips of its BEGIN and ROLLBACK.
        with self.engine.connect() as connection:
            yield connection.execution_options(isolation_level="AUTOCOMMIT")

    def _writing(self) -> AbstractContextManager[Connection]:
        """A connection in a write transaction, committed when the block exits cleanly."""
        if self._sqlite_file is not None:
            return self._sqlite_file.begin(self.engine)
        return self.engine.begin()

    def generation(self) -> int:
        if self._sqlite_file is not None:
            return self._sqlite_file.data_version()
        if self._watcher is None:
            # Started on first use, so that it runs in the serving process (after fork).
            self._watcher = GenerationWatcher(self._conninfo)
        known = self._watcher.value
        if known is not None:
            return known
        try:
            with self.engine.connect() as connection:
                value = connection.execute(
                    sa.select(generation.c.value).where(generation.c.name == "registry")
                ).scalar_one()
        except sa.exc.OperationalError as error:
            raise StoreError(f"the registry database is unavailable: {error.orig}") from error
        return int(value)

    def migrate(self) -> None:
        config = Config()
        config.set_main_option(
            "script_location", str(resources.files("registry").joinpath("migrations"))
        )
        with self._writing() as connection:
            if self.is_postgres:
                # Several registry processes may start at once: one migrates, the rest wait.
                connection.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"),
                    {"key": advisory_locks.REGISTRY_MIGRATIONS},
                )
                connection.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {PG_SCHEMA}"))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def close(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
        if self._sqlite_file is not None:
            self._sqlite_file.close()
        self.engine.dispose()
