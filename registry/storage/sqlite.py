"""SQLite specifics: connection settings, read and write transactions, and writers' queue.

SQLite has one writer at a time. Reads run in deferred transactions, which in WAL mode see
a snapshot and neither wait for the writer nor hold it up. Writes begin IMMEDIATE, taking
the write lock at BEGIN (a deferred transaction that upgrades late fails instead of
waiting), and queue for it in `WriteGate` first: SQLite's own busy wait sleeps with a
growing back-off (up to 100 ms) and lets newcomers overtake the sleepers, so writers of
two processes waited seconds at the tail.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

# Execution option naming how a transaction begins; absent means a deferred (read) one.
BEGIN_OPTION = "registry_sqlite_begin"
IMMEDIATE = "BEGIN IMMEDIATE"


def configure(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling off: the "begin" hook below says how.
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
        dbapi_connection.execute("PRAGMA busy_timeout=30000")

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql(connection.get_execution_options().get(BEGIN_OPTION, "BEGIN"))


class WriteGate:
    """One queue for every writer of a database file, whatever its process or thread: an
    exclusive flock of a file beside the database, which the kernel hands to a waiter as
    soon as the holder lets go."""

    def __init__(self, database: str | None) -> None:
        in_memory = database in (None, "", ":memory:")
        self._path = None if in_memory else Path(f"{database}.write-lock")
        # An in-memory database lives in one process: a lock is enough there.
        self._threads = threading.Lock()

    @contextmanager
    def begin(self, engine: Engine) -> Iterator[Connection]:
        """A connection in a write transaction, committed when the block exits cleanly."""
        with self._held(), engine.connect() as connection:
            connection.execution_options(**{BEGIN_OPTION: IMMEDIATE})
            with connection.begin():
                yield connection

    @contextmanager
    def _held(self) -> Iterator[None]:
        if self._path is None:
            with self._threads:
                yield
            return
        # Opened for each transaction: each open is its own lock holder (threads included),
        # and closing it lets go, even if the process dies.
        with self._path.open("ab") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            yield
