"""The SQL box: one SELECT over the `events` view, in a DuckDB that can touch nothing else.

One in-memory DuckDB per console, sandboxed once at its start: its own file access is off
(`enable_external_access`), its memory capped, and its configuration locked: no
`read_csv('/etc/…')`, no `COPY … TO`, no `ATTACH`, no extension install, no setting undone.
The events reach it as Arrow data the console read itself (personal columns already left
out). Each query runs on a cursor of its own, where the `events` view is a temporary one no
other query sees. Only a single SELECT statement is taken (DuckDB's parser says which kind a
statement is); its rows are capped by wrapping it in a LIMIT, its time by interrupting it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds

from console.errors import BadRequestError
from consumer.query import register_events

MAX_SQL_CHARACTERS = 10_000


class QueryRefusedError(BadRequestError):
    """Not one SELECT, or DuckDB refused it: the message says which, as DuckDB put it."""


class QueryTimedOutError(BadRequestError):
    pass


@dataclass(frozen=True)
class QueryLimits:
    max_rows: int
    timeout_seconds: float
    memory_mb: int


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[list[str | None]]
    truncated: bool
    elapsed_ms: float


class QuerySandbox:
    """The console's DuckDB; thread-safe, a cursor per query."""

    def __init__(self, limits: QueryLimits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._database = duckdb.connect(":memory:", config={"threads": 2})
        self._database.execute(f"SET memory_limit = '{int(limits.memory_mb)}MB'")
        self._database.execute("SET TimeZone = 'UTC'")  # times shown as the lake holds them
        self._database.execute("SET enable_external_access = false")
        self._database.execute("SET lock_configuration = true")

    def run(self, sql: str, events: ds.Dataset | pa.Table) -> QueryResult:
        """The first ``limits.max_rows`` rows of ``sql`` over the `events` view, as text.

        Raises:
            QueryRefusedError: not one SELECT, or DuckDB could not run it (its message).
            QueryTimedOutError: it ran longer than ``limits.timeout_seconds``.
        """
        if len(sql) > MAX_SQL_CHARACTERS:
            raise QueryRefusedError(f"A query may be {MAX_SQL_CHARACTERS} characters at most.")
        with self._lock:
            cursor = self._database.cursor()
        try:
            statement = _one_select(cursor, sql)
            register_events(cursor, events)
            return _run(cursor, statement, self.limits)
        finally:
            cursor.close()

    def close(self) -> None:
        self._database.close()


def _one_select(connection: duckdb.DuckDBPyConnection, sql: str) -> str:
    try:
        statements = connection.extract_statements(sql)
    except duckdb.Error as error:
        raise QueryRefusedError(str(error)) from None
    if len(statements) != 1:
        raise QueryRefusedError("Write one SELECT statement.")
    statement = statements[0]
    if statement.type != duckdb.StatementType.SELECT:
        raise QueryRefusedError(
            f"Only SELECT is run here, not {statement.type.name}: the console is read-only."
        )
    return str(statement.query).strip().rstrip(";")


def _run(connection: duckdb.DuckDBPyConnection, statement: str, limits: QueryLimits) -> QueryResult:
    # Running the user's SELECT is the point; the sandbox above is what makes it safe. The
    # newline ends a trailing `--` comment the statement may have.
    capped = f"SELECT * FROM (\n{statement}\n) LIMIT {int(limits.max_rows) + 1}"  # noqa: S608
    interrupted = threading.Event()

    def interrupt() -> None:
        interrupted.set()
        connection.interrupt()

    timer = threading.Timer(limits.timeout_seconds, interrupt)
    started = time.perf_counter()
    timer.start()
    try:
        result = connection.execute(capped)
        columns = [column[0] for column in result.description or ()]
        rows = result.fetchall()
    except duckdb.Error as error:
        if interrupted.is_set():
            raise QueryTimedOutError(
                f"Stopped after {limits.timeout_seconds:g} s: the SQL box runs short queries."
            ) from None
        raise QueryRefusedError(str(error)) from None
    finally:
        timer.cancel()
    elapsed_ms = (time.perf_counter() - started) * 1000
    shown = rows[: limits.max_rows]
    return QueryResult(
        columns=columns,
        rows=[[_text(value) for value in row] for row in shown],
        truncated=len(rows) > limits.max_rows,
        elapsed_ms=round(elapsed_ms, 1),
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)
