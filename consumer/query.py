"""`python -m consumer.query [SQL]`: query the lake with DuckDB through an `events` view.

Without SQL it prints users created per country per day. Hidden temporary files are never
matched: the view reads `part-*.parquet` names only.
"""

from __future__ import annotations

import sys

import duckdb

from consumer.settings import ConsumerSettings

DEFAULT_SQL = """
SELECT event_date, country_code, count(*) AS users_created
FROM events
GROUP BY event_date, country_code
ORDER BY event_date, country_code
"""


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


def main() -> None:
    settings = ConsumerSettings.from_environment("make query")
    sql = " ".join(sys.argv[1:]).strip() or DEFAULT_SQL
    connection = duckdb.connect()
    try:
        events_view(connection, settings.output, settings.events_topic)
    except duckdb.IOException:
        print(f"the lake at {settings.output} has no files of {settings.events_topic} yet")
        raise SystemExit(1) from None
    connection.sql(sql).show(max_rows=100)


if __name__ == "__main__":
    main()
