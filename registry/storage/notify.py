"""PostgreSQL LISTEN/NOTIFY: every registry process learns of every write within milliseconds.

Each write transaction bumps the generation counter and notifies its new value on commit; a
watcher thread per process keeps the latest value, so reads answered from a process's view
need no query to know the view is current. While the watcher is not connected, readers
fall back to querying the counter.
"""

from __future__ import annotations

import threading

import psycopg
import structlog

CHANNEL = "registry_generation"
log = structlog.get_logger("registry.notify")


class GenerationWatcher:
    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._value: int | None = None
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="generation-watcher", daemon=True)
        self._thread.start()

    @property
    def value(self) -> int | None:
        """The newest generation known, or None while not listening."""
        with self._lock:
            return self._value

    def saw(self, value: int) -> None:
        """A value this process committed itself: known before the notification arrives."""
        with self._lock:
            if self._value is not None and value > self._value:
                self._value = value

    def stop(self) -> None:
        self._stopped.set()

    def _run(self) -> None:
        backoff = 0.5
        while not self._stopped.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    current = connection.execute(
                        "SELECT value FROM registry.generation WHERE name = 'registry'"
                    ).fetchone()
                    with self._lock:
                        self._value = int(current[0]) if current else 0
                    log.info("generation_watcher_listening")
                    backoff = 0.5
                    while not self._stopped.is_set():
                        for notice in connection.notifies(timeout=1.0):
                            self._advance(int(notice.payload))
            except (psycopg.Error, ValueError) as error:
                with self._lock:
                    self._value = None
                log.warning("generation_watcher_disconnected", error=type(error).__name__)
                self._stopped.wait(backoff)
                backoff = min(backoff * 2, 10.0)

    def _advance(self, value: int) -> None:
        with self._lock:
            if self._value is None or value > self._value:
                self._value = value
