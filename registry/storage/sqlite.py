"""SQLite specifics: connection settings, read and write transactions, writers' queue, and
how a process learns that another one changed the database.

SQLite has one writer at a time. Reads run in deferred transactions, which in WAL mode see
a snapshot and neither wait for the writer nor hold it up. Writes begin IMMEDIATE, taking
the write lock at BEGIN (a deferred transaction that upgrades late fails instead of
waiting), and queue for it on a file lock first: SQLite's own busy wait sleeps with a
growing back-off (up to 100 ms) and lets newcomers overtake the sleepers, so writers of
two processes waited seconds at the tail.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from registry.errors import StoreError

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


class SqliteFile:
    """What the registry's processes share on one SQLite file, beyond its tables: one queue
    for the writers, and a number that moves on with every commit, whoever made it."""

    def __init__(self, database: str | None) -> None:
        if database in (None, "", ":memory:"):
            # Each connection to :memory: is a database of its own: nothing would be shared.
            raise StoreError("SQLite needs a file: sqlite:///path/to/registry.db")
        self._path = Path(database)
        self._lock = threading.Lock()
        self._watcher: sqlite3.Connection | None = None
        self._watcher_pid = 0

    @contextmanager
    def begin(self, engine: Engine) -> Iterator[Connection]:
        """A connection in a write transaction, committed when the block exits cleanly.

        Writers queue on an exclusive flock of a file beside the database, which the kernel
        hands to a waiter as soon as the holder lets go. It is opened for each transaction:
        each open is a holder of its own (threads included), and closing it lets go, even
        if the process dies.
        """
        with self._path.with_name(f"{self._path.name}.write-lock").open("ab") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            with engine.connect() as connection:
                connection.execution_options(**{BEGIN_OPTION: IMMEDIATE})
                with connection.begin():
                    yield connection

    def data_version(self) -> int:
        """SQLite's data_version on a connection that never writes: it changes whenever
        any other connection, in any process, commits. A few microseconds, no transaction.
        """
        with self._lock:
            # Opened in the process that asks (after gunicorn's fork), shared by its threads.
            if self._watcher is None or self._watcher_pid != os.getpid():
                self._watcher = sqlite3.connect(
                    self._path, timeout=30, isolation_level=None, check_same_thread=False
                )
                self._watcher_pid = os.getpid()
            return int(self._watcher.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._watcher is not None and self._watcher_pid == os.getpid():
                self._watcher.close()
            self._watcher = None
