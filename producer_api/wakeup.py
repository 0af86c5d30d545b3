"""Waking the relay: after a commit the API pokes; a thread sends the NOTIFY.

A NOTIFY inside each user transaction would serialise commits on PostgreSQL's notification
queue lock and cost every request a little. Here the request only sets a flag; one thread per
process sends at most one `NOTIFY outbox_wake` per interval on its own connection, after the
rows are committed. Under load many commits share one wake-up; when idle, a new row wakes
the relay within about a millisecond. If this thread cannot reach the database, the relay's
polling still finds the rows.
"""

from __future__ import annotations

import threading
import time

import psycopg
import structlog

from producer_api.database import WAKE_CHANNEL

log = structlog.get_logger("producer_api.wakeup")


class RelayWaker:
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
