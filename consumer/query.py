"""`python -m consumer.query [SQL]`: query the lake with DuckDB through an `events` view.

Without SQL it prints users created per country per day. Over files, the view is an Arrow
dataset of the whole `part-*.parquet` files the layout lists (a hidden temporary is never
read), scanned by DuckDB. Over an Iceberg table, the view
is a pyiceberg scan of the newest snapshot, or of the one `QUERY_AS_OF` names (a snapshot id,
or a time: ISO 8601 or epoch milliseconds); `event_date` is the UTC date of `event_time`, as
the files' folders name it. DuckDB's own Iceberg extension is not used: no wheel on PyPI
matches the DuckDB this project pins (the extension's wheels are built for DuckDB 1.5).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Collection
from contextlib import closing
from datetime import datetime

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
from pyiceberg.table import Table

from consumer.lake import open_catalog
from consumer.settings import ConsumerSettings, LakeSettings
from consumer.sink.files import Target, open_target
from consumer.sink.layout import DATE_DIRECTORY_PREFIX

DEFAULT_SQL = """
SELECT event_date, country_code, count(*) AS users_created
FROM events
GROUP BY event_date, country_code
ORDER BY event_date, country_code
"""
# The hive partition column of the files' folders, as the `events` view shows it.
EVENT_DATE = DATE_DIRECTORY_PREFIX.rstrip("=")
_EVENT_DATE_PARTITIONING = pa.schema([(EVENT_DATE, pa.date32())])


class LakeQueryError(ValueError):
    """The lake cannot be read as asked; the message says why."""


class AsOfError(LakeQueryError):
    """QUERY_AS_OF names no snapshot of the table."""


class NoEventsError(LakeQueryError):
    """The lake holds nothing to read yet (or nothing a query engine reads)."""


def file_events(target: Target, topic: str, *, hidden: Collection[str] = ()) -> ds.Dataset:
    """Every whole Parquet file of the topic as one Arrow dataset, hidden temporaries never
    included; files of an older reader schema lack the newer columns, which read as null
    (columns matched by name, not position). ``hidden`` columns are never read.

    Raises:
        NoEventsError: the topic has no Parquet file yet.
    """
    filesystem, base = target.arrow_location()
    paths = [
        f"{base}/{relative}"
        for relative, part in target.list_final_files(topic)
        if part.extension == "parquet"
    ]
    if not paths:
        raise NoEventsError(f"the lake has no Parquet files of {topic} yet")
    partitioning = ds.partitioning(_EVENT_DATE_PARTITIONING, flavor="hive")

    def files_as_one(schema: pa.Schema | None) -> ds.Dataset:
        return ds.dataset(
            paths,
            schema=schema,
            filesystem=filesystem,
            format="parquet",
            partitioning=partitioning,
            partition_base_dir=f"{base}/{topic}",
        )

    schema = pa.unify_schemas(
        [fragment.physical_schema for fragment in files_as_one(None).get_fragments()]
        + [_EVENT_DATE_PARTITIONING]
    )
    return files_as_one(pa.schema([field for field in schema if field.name not in hidden]))


def table_events(
    table: Table, *, as_of: str | None = None, hidden: Collection[str] = ()
) -> pa.Table:
    """The table's rows as of ``as_of`` (default: its newest snapshot), ``hidden`` columns
    never read.

    Raises:
        AsOfError: ``as_of`` names no snapshot of the table.
    """
    snapshot_id = snapshot_as_of(table, as_of) if as_of else None
    columns = tuple(field.name for field in table.schema().fields if field.name not in hidden)
    return table.scan(snapshot_id=snapshot_id, selected_fields=columns).to_arrow()


def register_events(connection: duckdb.DuckDBPyConnection, events: ds.Dataset | pa.Table) -> None:
    """The `events` view over rows from `file_events` or `table_events`; a table's rows gain
    `event_date`, the UTC date of `event_time`, as the files' folders name it."""
    connection.register("events_scanned", events)
    names = set(events.schema.names)
    derived = (
        # The UTC date whatever the session's time zone: as the writer names the folders.
        f", CAST(timezone('UTC', event_time) AS DATE) AS {EVENT_DATE}"
        if EVENT_DATE not in names and "event_time" in names
        else ""
    )
    statement = (
        # Temporary: the view is the connection's (a cursor's) alone.
        "CREATE OR REPLACE TEMP VIEW events AS "  # noqa: S608 - the constant above, no input
        f"SELECT *{derived} FROM events_scanned"
    )
    connection.execute(statement)


def events_view(connection: duckdb.DuckDBPyConnection, root: str, topic: str) -> None:
    """The `events` view over every Parquet file of the topic under ``root``.

    Raises:
        NoEventsError: the topic has no Parquet file yet.
    """
    register_events(connection, file_events(open_target(root), topic))


def table_events_view(
    connection: duckdb.DuckDBPyConnection, table: Table, as_of: str | None = None
) -> None:
    """The `events` view over the table as of ``as_of`` (default: its newest snapshot).

    Raises:
        AsOfError: ``as_of`` names no snapshot of the table.
    """
    register_events(connection, table_events(table, as_of=as_of))


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


def lake_events_view(
    connection: duckdb.DuckDBPyConnection, lake: LakeSettings, as_of: str | None = None
) -> None:
    """The `events` view over the lake the settings name, files or table.

    Raises:
        LakeQueryError: no table or file yet, Avro files, or ``as_of`` names no snapshot.
    """
    if lake.format == "avro":
        raise NoEventsError("the lake holds Avro files; DuckDB reads its Parquet files and tables")
    if lake.format == "parquet":
        if as_of:
            raise AsOfError("QUERY_AS_OF reads an Iceberg table; the lake holds files")
        events_view(connection, lake.output, lake.events_topic)
        return
    identifier = (lake.table_namespace, lake.iceberg_table)
    with closing(open_catalog(lake, read_only=True)) as catalog:
        if not catalog.table_exists(identifier):
            raise NoEventsError(f"the lake has no table {'.'.join(identifier)} yet")
        table_events_view(connection, catalog.load_table(identifier), as_of)


def main() -> None:
    lake = ConsumerSettings.from_environment("make query")
    sql = " ".join(sys.argv[1:]).strip() or DEFAULT_SQL
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")  # times shown as the lake holds them
    try:
        lake_events_view(connection, lake, os.environ.get("QUERY_AS_OF"))
    except LakeQueryError as error:
        print(error)
        raise SystemExit(2 if isinstance(error, AsOfError) else 1) from None
    connection.sql(sql).show(max_rows=100)


if __name__ == "__main__":
    main()
