"""Where the lake writer lands batches: files (Parquet, Avro) or an Apache Iceberg table.

Both take a closed batch (`write`) and say, for a partition the writer now owns, where it
resumes and which event ids it holds last (`take_over`): the lake, not the consumer group's
committed offsets, is the truth.

An Iceberg table's catalog is pyiceberg's SQL catalog: on PostgreSQL (the stack's, in a
schema of its own) or on a SQLite file, so the writer runs anywhere with no server.

pyiceberg is imported when a table is opened, not with this module: a writer of files never
needs it, and its import alone holds some 20 MB of the writer's memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs, urlparse

import sqlalchemy as sa

from consumer.settings import LakeSettings
from consumer.sink import AvroFormat, ClosedBatch, FileSink, ParquetFormat, schema_fingerprint
from platform_common import advisory_locks
from platform_common.database import engine_url

if TYPE_CHECKING:
    from pyiceberg.catalog.sql import SqlCatalog

CATALOG_NAME = "lake"


class Lake(Protocol):
    # The reader schema's field names: the order of a batch's row values.
    fields: tuple[str, ...]

    def write(self, batch: ClosedBatch) -> object: ...

    def take_over(
        self, partition: int, *, field: str | None = None, window: int = 0
    ) -> tuple[int | None, list[Any]]: ...

    def close(self) -> None: ...


def open_lake(settings: LakeSettings, reader_schema: Mapping[str, Any]) -> Lake:
    """The lake CONSUMER_FORMAT names, ready for the reader schema (an Iceberg table is
    created or evolved here).

    Raises:
        SchemaMappingError: the reader schema does not fit the lake (field named).
    """
    topic = settings.events_topic
    if settings.format == "iceberg":
        from consumer.sink.iceberg import (  # imported late: see the module docstring
            IcebergSink,
            TableName,
            open_table,
            until_available,
        )

        name = TableName(settings.table_namespace, settings.iceberg_table)
        # The catalog's database may be starting or restarting as the writer starts.
        table = until_available(
            lambda _retried: open_table(open_catalog(settings), name, reader_schema)
        )
        return IcebergSink(table, topic=topic, reader_schema=reader_schema)
    file_format = (
        ParquetFormat(reader_schema) if settings.format == "parquet" else AvroFormat(reader_schema)
    )
    return FileSink(
        settings.output,
        topic=topic,
        file_format=file_format,
        reader_schema_fingerprint=schema_fingerprint(reader_schema),
    )


def open_catalog(settings: LakeSettings, *, read_only: bool = False) -> SqlCatalog:
    """The SQL catalog of CONSUMER_CATALOG_URL, its warehouse CONSUMER_OUTPUT.

    A writer's opening creates the catalog's tables when missing; a reader's (``read_only``)
    never does, so a catalog no writer made yet stays unmade and reading it fails.
    """
    from pyiceberg.catalog.sql import SqlCatalog  # imported late: see the module docstring

    url = engine_url(settings.iceberg_catalog_url())
    if url.get_backend_name() == "postgresql":
        if not read_only:
            _create_catalog_tables(url, settings.catalog_schema)
        url = url.update_query_dict({"options": f"-csearch_path={settings.catalog_schema}"})
    elif url.get_backend_name() == "sqlite" and (database := url.database):
        if read_only:
            # SQLite would make a missing file on connecting; read-only mode refuses to.
            url = url.set(database=f"file:{database}?mode=ro").update_query_dict({"uri": "true"})
        else:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    warehouse, file_io = warehouse_of(settings.output, create=not read_only)
    return SqlCatalog(
        CATALOG_NAME,
        uri=url.render_as_string(hide_password=False),
        warehouse=warehouse,
        # A connection the server dropped (a restart) is replaced, not handed to a commit.
        pool_pre_ping="true",
        init_catalog_tables=str(not read_only).lower(),
        **file_io,
    )


def _create_catalog_tables(url: sa.URL, schema: str) -> None:
    """The catalog's schema and tables, made by one process at a time.

    pyiceberg creates its tables when a catalog opens, with CREATE TABLE IF NOT EXISTS,
    which PostgreSQL does not serialize: two processes opening a new catalog at once (two
    writers, a writer and `make query`) could both try, and one failed on a unique
    violation in pg_type. Made here under an advisory lock, they exist by then.
    """
    from pyiceberg.catalog.sql import SqlCatalogBaseTable  # imported late: see the module docstring

    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": advisory_locks.LAKE_CATALOG}
            )
            connection.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            connection.execute(sa.text(f'SET LOCAL search_path TO "{schema}"'))
            SqlCatalogBaseTable.metadata.create_all(connection)
    finally:
        engine.dispose()


def warehouse_of(output: str, *, create: bool = True) -> tuple[str, dict[str, str]]:
    """CONSUMER_OUTPUT as the warehouse's URI and pyiceberg's file settings.

    A local folder becomes a file:// URI. An object store URI is written as `pyarrow.fs`
    takes it, as the file lake does (`s3://bucket/prefix?endpoint_override=host:port&
    scheme=http&region=…`): its query becomes pyiceberg's `s3.endpoint` and `s3.region`.
    Credentials come from the environment (AWS_ACCESS_KEY_ID, …), as for the file lake.
    """
    if "://" not in output:
        folder = Path(output).resolve()
        if create:
            folder.mkdir(parents=True, exist_ok=True)
        return folder.as_uri(), {}
    parsed = urlparse(output)
    query = parse_qs(parsed.query)
    file_io: dict[str, str] = {}
    if "endpoint_override" in query:
        scheme = query.get("scheme", ["https"])[0]
        file_io["s3.endpoint"] = f"{scheme}://{query['endpoint_override'][0]}"
    if "region" in query:
        file_io["s3.region"] = query["region"][0]
    return parsed._replace(query="").geturl(), file_io
