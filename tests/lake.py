"""What the lake holds, read as a test reads it: the rows of the files or of the Iceberg
table a lake writer's settings name. Integration, fault and end-to-end tests share it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any
from unittest import mock

import pyarrow.parquet as pq

from consumer.lake import open_catalog
from consumer.settings import ConsumerSettings
from stack.apps import ConsumerApp


def rows_in(lake: Path, topic: str, columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The rows (of ``columns``, default all) of the topic's visible Parquet files."""
    rows: list[dict[str, Any]] = []
    for path in sorted((lake / topic).glob("event_date=*/part-*.parquet")):
        rows += pq.read_table(path, columns=list(columns) if columns else None).to_pylist()
    return rows


def table_rows(
    settings: ConsumerSettings, columns: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """The rows (of ``columns``, default all) of the Iceberg table the settings name (none
    before it exists)."""
    identifier = (settings.table_namespace, settings.iceberg_table)
    with closing(open_catalog(settings)) as catalog:
        if not catalog.table_exists(identifier):
            return []
        scan = catalog.load_table(identifier).scan(selected_fields=tuple(columns or ("*",)))
        return scan.to_arrow().to_pylist()


def landed_rows(settings: ConsumerSettings) -> int:
    """How many rows the lake the settings name holds, files or table."""
    return len(landed_values(settings, "event_id"))


def landed_values(settings: ConsumerSettings, column: str) -> list[Any]:
    """``column`` of every row in the lake (uuids as text), once per copy."""
    if settings.format == "iceberg":
        rows = table_rows(settings, [column])
    else:
        rows = rows_in(Path(settings.output), settings.events_topic, [column])
    return [str(v) if isinstance(v, uuid.UUID) else v for v in (row[column] for row in rows)]


def settings_of(app: ConsumerApp) -> ConsumerSettings:
    """The settings the stack's lake writer runs with: read from the environment it gets."""
    with mock.patch.dict(os.environ, app.environment(), clear=True):
        return ConsumerSettings()
