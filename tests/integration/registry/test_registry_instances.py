"""Registry instances side by side on one PostgreSQL, as `REGISTRY_INSTANCES=N make up` runs
them, and a client given every instance's URL."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from stack.apps import RegistryApp
from tests.registry_instances import running_instances


@pytest.fixture
def instances(postgres_admin_url: str, tmp_path: Path) -> Iterator[list[RegistryApp]]:
    with running_instances(postgres_admin_url, tmp_path, 2) as apps:
        yield apps


def record(field: str) -> Schema:
    fields = [{"name": field, "type": "long", "default": 0}]
    return Schema(json.dumps({"type": "record", "name": "R", "fields": fields}), "AVRO")


def test_a_client_given_every_url_goes_on_when_one_instance_dies(
    instances: list[RegistryApp],
) -> None:
    first, second = instances
    urls = first.settings.registry_url
    assert urls == f"{first.url},{second.url}"
    client = SchemaRegistryClient({"url": urls})
    alone = SchemaRegistryClient({"url": second.url})
    try:
        # One database: what one instance stored, the other answers with the same id.
        schema_id = client.register_schema("instances-value", record("a"))
        assert alone.lookup_schema("instances-value", record("a")).schema_id == schema_id
        first.process.stop(timeout=0.1, stop_signal=signal.SIGKILL)
        later = client.register_schema("instances-value", record("b"))
        assert later != schema_id
        assert alone.get_latest_version("instances-value").version == 2
    finally:
        client.close()
        alone.close()
