"""`python -m consumer.query [SQL]`: query the lake with DuckDB through an `events` view.

Without SQL it prints users created per country per day. Over files, hidden temporary files
are never matched: the view reads `part-*.parquet` names only. Over an Iceberg table, the view
is a pyiceberg scan of the newest snapshot, or of the one `QUERY_AS_OF` names (a snapshot id,
or a time: ISO 8601 or epoch milliseconds); `event_date` is the UTC date of `event_time`, as
the files' folders name it. DuckDB's own Iceberg extension is not used: no wheel on PyPI
matches the DuckDB this project pins (the extension's wheels are built for DuckDB 1.5).
"""

from __future__ import annotations

import os
import sys
from contextlib import closing
from datetime import datetime

import duckdb
from pyiceberg.table import Table

from consumer.lake import open_catalog
from consumer.settings import ConsumerSettings

DEFAULT_SQL = """
SELECT event_date, country_code, count(*) AS users_created
FROM events
GROUP BY event_date, country_code
ORDER BY event_date, country_code
"""


class AsOfError(ValueError):
    """QUERY_AS_OF names no snapshot of the table."""


def events_view(connection: duckdb.DuckDBPyConnection, root: str, topic: str) -> None:
    """The `events` view over every file of the topic; files of an older reader schema lack
    the newer columns, which read as null (columns matched by name, not position)."""
    pattern = f"{root.rstrip('/')}/{topic}/event_date=*/part-*.parquet"
    # A view takes no parameters; the pattern is quoted as an SQL string literal instead.
    literal = "'" + pattern.replace("'", "''") + "'"
    statement = (
        "CREATE OR REPLACE VIEW events AS "  # noqa: S608 - the only input is quoted above
        f"SELECT * FROM read_parquet({literal}, hive_partitioning = true, union_by_name = true)"
    )
    connection.execute(statement)


def table_events_view(
    connection: duckdb.DuckDBPyConnection, table: Table, as_of: str | None = None
) -> None:
    """The `events` view over the table as of ``as_of`` (default: its newest snapshot).

    Raises:
        AsOfError: ``as_of`` names no snapshot of the table.
    """
    snapshot_id = snapshot_as_of(table, as_of) if as_of else None
    rows = table.scan(snapshot_id=snapshot_id).to_arrow()
    connection.execute("SET TimeZone = 'UTC'")
    connection.register("events_scanned", rows)
    connection.execute(
        "CREATE OR REPLACE VIEW events AS "
        "SELECT *, CAST(event_time AS DATE) AS event_date FROM events_scanned"
    )


def snapshot_as_of(table: Table, as_of: str) -> int:
    """The id of the snapshot ``as_of`` names: a snapshot id, or the snapshot current at a
    time (ISO 8601, or epoch milliseconds)."""
    text = as_of.strip()
    if text.isdigit() and table.snapshot_by_id(int(text)) is not None:
        return int(text)
    try:
        millis = (
            int(text) if text.isdigit() else int(datetime.fromisoformat(text).timestamp() * 1000)
        )
    except ValueError:
        raise AsOfError(f"QUERY_AS_OF={as_of!r} is neither a snapshot id nor a time") from None
    snapshot = table.snapshot_as_of_timestamp(millis)
    if snapshot is None:
        raise AsOfError(f"the table has no snapshot as of {as_of!r}")
    return snapshot.snapshot_id


def main() -> None:
    settings = ConsumerSettings.from_environment("make query")
    sql = " ".join(sys.argv[1:]).strip() or DEFAULT_SQL
    connection = duckdb.connect()
    if settings.format == "iceberg":
        identifier = (settings.table_namespace, settings.iceberg_table)
        with closing(open_catalog(settings)) as catalog:
            if not catalog.table_exists(identifier):
                print(f"the lake has no table {'.'.join(identifier)} yet")
                raise SystemExit(1)
            try:
                table_events_view(
                    connection, catalog.load_table(identifier), os.environ.get("QUERY_AS_OF")
                )
            except AsOfError as error:
                print(error)
                raise SystemExit(2) from None
    else:
        try:
            events_view(connection, settings.output, settings.events_topic)
        except duckdb.IOException:
            print(f"the lake at {settings.output} has no files of {settings.events_topic} yet")
            raise SystemExit(1) from None
    connection.sql(sql).show(max_rows=100)


if __name__ == "__main__":
    main()
