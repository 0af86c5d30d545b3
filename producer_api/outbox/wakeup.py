"""Both ends of the relay's wake-up: the API pokes after a commit, the relay listens.

A NOTIFY inside each user transaction would serialise commits on PostgreSQL's notification
queue lock and cost every request a little. Here the request only sets a flag; one thread per
process sends at most one NOTIFY per interval on its own connection, after the rows are
committed. Under load many commits share one wake-up; when idle, a new row wakes the relay
within about a millisecond. If either end cannot reach the database, the relay's polling
still finds the rows.
"""

from __future__ import annotations

import threading
import time

import psycopg
import structlog

from producer_api.outbox.table import WAKE_CHANNEL

log = structlog.get_logger("producer_api.outbox.wakeup")


class RelayWaker:
    """The API's end: `poke()` after a transaction that added outbox rows has committed."""

    def __init__(self, conninfo: str, *, interval: float) -> None:
        self._conninfo = conninfo
        self._interval = interval
        self._pending = threading.Event()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def poke(self) -> None:
        """Called after a transaction that added outbox rows has committed."""
        self._pending.set()
        if self._thread is None:
            with self._start_lock:
                # Started on first use, so it lives in the serving process (after fork).
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="relay-waker", daemon=True
                    )
                    self._thread.start()

    def _run(self) -> None:
        connection: psycopg.Connection[tuple[object, ...]] | None = None
        while True:
            self._pending.wait()
            self._pending.clear()
            try:
                if connection is None or connection.closed:
                    connection = psycopg.connect(self._conninfo, autocommit=True)
                connection.execute(f"NOTIFY {WAKE_CHANNEL}")
            except psycopg.Error as error:
                log.warning("relay_wakeup_failed", error=type(error).__name__)
                connection = None
                time.sleep(1.0)
            if self._interval:
                time.sleep(self._interval)


def listen_for_wakeups(conninfo: str, wake: threading.Event, stopping: threading.Event) -> None:
    """The relay's end: set ``wake`` on every notification until ``stopping`` is set.

    Also sets it on each (re)connection, since rows may have come while not listening.
    Reconnects a second after any failure; meant to run on a thread of its own.
    """
    while not stopping.is_set():
        try:
            with psycopg.connect(conninfo, autocommit=True) as connection:
                connection.execute(f"LISTEN {WAKE_CHANNEL}")
                wake.set()
                while not stopping.is_set():
                    for _notice in connection.notifies(timeout=1.0):
                        wake.set()
        except psycopg.Error:
            stopping.wait(1.0)
