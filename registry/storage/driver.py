"""The registration path's statements, run on the driver's cursor on PostgreSQL.

A new version takes a few statements, and on PostgreSQL SQLAlchemy's execution around each
(parameter and result processing, a row object per row, its events) cost more CPU than the
driver's own round trip: the statement reading a registration's state went from ~130 µs
to ~60 µs, and a lone registration's CPU from ~1.9 ms to ~1.65 ms. The statement is still
SQLAlchemy's: compiled once for the connection's dialect, with its column types' parameter
processing; a failure is wrapped as SQLAlchemy wraps it (callers catch `sqlalchemy.exc`
errors), and a connection the server dropped is invalidated, as SQLAlchemy would.

Elsewhere (SQLite) a statement runs through SQLAlchemy: there its result processing is
needed, since SQLite keeps timestamps and JSON as text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler

Processors = dict[str, Callable[[Any], Any]]


class DriverStatement:
    """A statement compiled once per dialect and run on the driver's cursor, in the
    connection's current transaction."""

    def __init__(self, statement: ClauseElement) -> None:
        self._statement = statement
        self._compiled: dict[str, tuple[str, dict[str, Any], Processors]] = {}
        # The result's column names, learnt from its first execution: psycopg builds a
        # Column object per column each time `description` is read, a tenth of a new
        # version's CPU when read per execution.
        self._names: list[str] | None = None

    def rows(self, connection: Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The result rows, each a dict by column label."""
        if connection.dialect.name != "postgresql":
            result = connection.execute(cast(Executable, self._statement), params)
            return [dict(row._mapping) for row in result] if result.returns_rows else []
        return self._on_driver(connection, params)

    def _on_driver(self, connection: Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        sql, values = self._bound(connection.dialect, params)
        with _wrapped(connection, sql, values), _driver_of(connection).cursor() as cursor:
            cursor.execute(sql, values)
            return self._fetched(cursor)

    def _bound(self, dialect: Dialect, params: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        sql, defaults, processors = self._compile(dialect)
        values = {**defaults, **params}
        for name, process in processors.items():
            values[name] = process(values[name])
        return sql, values

    def _fetched(self, cursor: Any) -> list[dict[str, Any]]:
        if self._names is None:
            if cursor.description is None:
                return []
            self._names = [column.name for column in cursor.description]
        names = self._names
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def scalar(self, connection: Connection, params: Mapping[str, Any]) -> Any:
        """The first column of the first row, or None without a row."""
        rows = self.rows(connection, params)
        return next(iter(rows[0].values())) if rows else None

    def _compile(self, dialect: Dialect) -> tuple[str, dict[str, Any], Processors]:
        known = self._compiled.get(dialect.name)
        if known is not None:
            return known
        done = cast(SQLCompiler, self._statement.compile(dialect=dialect))
        processors: Processors = {}
        for name, bind in done.binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                processors[name] = process
        compiled = (str(done), dict(done.params), processors)
        self._compiled[dialect.name] = compiled
        return compiled


def run_together(
    connection: Connection,
    statements: Sequence[tuple[DriverStatement, Mapping[str, Any]]],
    *,
    writes_first: tuple[DriverStatement, Sequence[Mapping[str, Any]]] | None = None,
    commit: bool = False,
) -> list[list[dict[str, Any]]]:
    """Each statement's rows, in order, after ``writes_first`` (one statement run once per
    parameter set, its rows unread), then (with ``commit``) the transaction committed. On
    PostgreSQL all are sent at once and answered in one round trip (a pipeline): should one
    fail, none after it runs, nor the COMMIT. Elsewhere they run one by one, and the
    SQLAlchemy transaction commits as usual."""
    if not statements and not (writes_first and writes_first[1]) and not commit:
        return []  # nothing to send: no round trip
    if connection.dialect.name != "postgresql":
        if writes_first is not None:
            for params in writes_first[1]:
                writes_first[0].rows(connection, params)
        return [statement.rows(connection, params) for statement, params in statements]
    driver = _driver_of(connection)
    bound = [statement._bound(connection.dialect, params) for statement, params in statements]
    # An error names the last statement: the pipeline does not tell which one failed.
    last = bound[-1] if bound else ("", {})
    with _wrapped(connection, *last), driver.pipeline() as pipeline:
        if writes_first is not None and writes_first[1]:
            write, many = writes_first
            with driver.cursor() as cursor:
                cursor.executemany(
                    write._compile(connection.dialect)[0],
                    [write._bound(connection.dialect, params)[1] for params in many],
                )
        cursors = []
        for sql, values in bound:
            cursor = driver.cursor()
            cursor.execute(sql, values)
            cursors.append(cursor)
        if commit:
            driver.commit()
        else:
            pipeline.sync()
        answers = []
        for (statement, _), cursor in zip(statements, cursors, strict=True):
            answers.append(statement._fetched(cursor))
            cursor.close()
        return answers


def _driver_of(connection: Connection) -> Any:
    # A connection in use has its driver's; the cast says so to the type checker.
    return cast(Any, connection.connection.driver_connection)


@contextmanager
def _wrapped(connection: Connection, sql: str, values: Mapping[str, Any]) -> Iterator[None]:
    """A driver's error raised as SQLAlchemy raises it, the connection invalidated if the
    server dropped it."""
    try:
        yield
    except connection.dialect.loaded_dbapi.Error as error:
        fairy = connection.connection
        if connection.dialect.is_disconnect(error, fairy.dbapi_connection, None):
            connection.invalidate(error)
        raise sa.exc.DBAPIError.instance(
            sql, values, error, connection.dialect.loaded_dbapi.Error
        ) from error
