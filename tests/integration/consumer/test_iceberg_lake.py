"""The lake writer into an Iceberg table, against a real broker, registry and PostgreSQL."""

from __future__ import annotations

import uuid
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from consumer.lake import open_catalog
from consumer.settings import ConsumerSettings
from consumer.sink.iceberg import next_offsets
from tests.integration.consumer.support import (
    EVENTS,
    produce_mixed,
    run_until,
    settings_for,
)


def iceberg_settings(
    bootstrap: str, registry_url: str, topic: str, lake: Path, **overrides: Any
) -> ConsumerSettings:
    return settings_for(bootstrap, registry_url, topic, lake, format="iceberg", **overrides)


def table_rows(settings: ConsumerSettings) -> list[dict[str, Any]]:
    identifier = (settings.table_namespace, settings.iceberg_table)
    with closing(open_catalog(settings)) as catalog:
        if not catalog.table_exists(identifier):
            return []
        return catalog.load_table(identifier).scan().to_arrow().to_pylist()


def offsets_of(settings: ConsumerSettings) -> dict[int, int]:
    with closing(open_catalog(settings)) as catalog:
        table = catalog.load_table((settings.table_namespace, settings.iceberg_table))
        return next_offsets(table, settings.events_topic)


@pytest.mark.parametrize("catalog", ["sqlite", "postgresql"])
def test_mixed_writers_land_once_in_the_table_and_a_restart_adds_nothing(
    kafka_bootstrap: str,
    lake_registry: str,
    topic: str,
    tmp_path: Path,
    catalog: str,
    request: pytest.FixtureRequest,
) -> None:
    overrides = {}
    if catalog == "postgresql":
        overrides["catalog_url"] = request.getfixturevalue("database_url")
    versions = produce_mixed(kafka_bootstrap, lake_registry, topic)
    settings = iceberg_settings(kafka_bootstrap, lake_registry, topic, tmp_path, **overrides)
    run_until(settings, lambda _writer: len(table_rows(settings)) >= EVENTS, 90)
    rows = table_rows(settings)
    assert sorted(str(row["event_id"]) for row in rows) == sorted(versions)
    for row in rows:
        expected_channel = "api" if versions[str(row["event_id"])] == 1 else "web"
        assert row["signup_channel"] == expected_channel  # v1 events get v2's default
    assert sum(offsets_of(settings).values()) == EVENTS

    # A writer of another group starts from the table, not from its own (empty) offsets.
    again = settings.model_copy(update={"group_id": f"lake-{uuid.uuid4().hex}"})
    run_until(again, lambda writer: bool(writer.assigned), 30)
    assert len(table_rows(settings)) == EVENTS
