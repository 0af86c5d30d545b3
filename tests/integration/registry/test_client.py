"""The unmodified confluent_kafka SchemaRegistryClient against the registry over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.common.schema_registry_client import ServerConfig
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.schema_registry_client import ConfigCompatibilityLevel

V1: dict[str, Any] = {
    "type": "record",
    "name": "UserCreated",
    "namespace": "test.events",
    "fields": [{"name": "user_id", "type": "long"}],
}
V2: dict[str, Any] = {
    **V1,
    "fields": [
        {"name": "user_id", "type": "long"},
        {"name": "country_code", "type": "string", "default": "BE"},
    ],
}
# Adds a field without a default: a reader of this cannot read v1 or v2 records.
BREAKING: dict[str, Any] = {
    **V1,
    "fields": [{"name": "user_id", "type": "long"}, {"name": "is_a_dog", "type": "boolean"}],
}


def avro(document: object) -> Schema:
    return Schema(json.dumps(document), "AVRO")


@pytest.fixture
def client(registry_url: str) -> Iterator[SchemaRegistryClient]:
    registry = SchemaRegistryClient({"url": registry_url})
    yield registry
    registry.close()


def error_of(call: object, *args: object, **kwargs: object) -> SchemaRegistryError:
    assert callable(call)
    with pytest.raises(SchemaRegistryError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_register_and_read_back(client: SchemaRegistryClient, subject: str) -> None:
    first = client.register_schema(subject, avro(V1))
    second = client.register_schema(subject, avro(V2))
    assert second != first
    assert client.register_schema(subject, avro(V1)) == first

    text = client.get_schema(first).schema_str
    assert text is not None and json.loads(text) == V1
    latest = client.get_latest_version(subject)
    assert (latest.version, latest.schema_id) == (2, second)
    assert client.get_version(subject, 1).schema_id == first
    assert client.get_versions(subject) == [1, 2]
    assert subject in client.get_subjects()
    found = client.lookup_schema(subject, avro(V1))
    assert (found.version, found.schema_id) == (1, first)


def test_one_id_for_one_schema_across_subjects(client: SchemaRegistryClient, subject: str) -> None:
    here = client.register_schema(subject, avro(V1))
    there = client.register_schema(subject + "-other", avro(V1))
    assert here == there


def test_incompatible_schema_is_refused_with_the_field_path(
    client: SchemaRegistryClient, subject: str
) -> None:
    client.register_schema(subject, avro(V1))
    error = error_of(client.register_schema, subject, avro(BREAKING))
    assert (error.http_status_code, error.error_code) == (409, 409)
    assert "/fields/1" in error.error_message
    assert "is_a_dog" in error.error_message
    assert client.test_compatibility(subject, avro(BREAKING)) is False
    assert client.test_compatibility(subject, avro(V2)) is True


def test_compatibility_levels(client: SchemaRegistryClient, subject: str) -> None:
    client.register_schema(subject, avro(V1))
    answer: object = client.set_compatibility(subject, "NONE")
    assert answer == {"compatibility": "NONE"}
    assert client.get_compatibility(subject) == "NONE"
    assert client.register_schema(subject, avro(BREAKING)) > 0
    error = error_of(client.set_compatibility, subject, "SIDEWAYS")
    assert (error.http_status_code, error.error_code) == (422, 42203)


def test_config_roundtrip(client: SchemaRegistryClient, subject: str) -> None:
    client.register_schema(subject, avro(V1))
    client.set_config(subject, ServerConfig(compatibility=ConfigCompatibilityLevel.FULL))
    config = client.get_config(subject)
    assert config.compatibility_level == ConfigCompatibilityLevel.FULL
    error = error_of(client.get_config, subject + "-unset")
    assert (error.http_status_code, error.error_code) == (404, 40408)


def test_soft_then_permanent_delete(client: SchemaRegistryClient, subject: str) -> None:
    client.register_schema(subject, avro(V1))
    client.register_schema(subject, avro(V2))

    error = error_of(client.delete_subject, subject, permanent=True)
    assert (error.http_status_code, error.error_code) == (404, 40405)
    error = error_of(client.delete_version, subject, 2, permanent=True)
    assert (error.http_status_code, error.error_code) == (404, 40407)

    assert client.delete_version(subject, 2) == 2
    error = error_of(client.delete_version, subject, 2)
    assert (error.http_status_code, error.error_code) == (404, 40406)
    assert client.get_versions(subject) == [1]
    # Numbering goes on after a soft delete.
    v3 = {**V2, "fields": [V2["fields"][0], {**V2["fields"][1], "default": "NL"}]}
    client.register_schema(subject, avro(v3))
    assert client.get_versions(subject) == [1, 3]

    assert client.delete_subject(subject) == [1, 3]
    error = error_of(client.delete_subject, subject)
    assert (error.http_status_code, error.error_code) == (404, 40404)
    assert subject not in client.get_subjects()
    assert sorted(client.delete_subject(subject, permanent=True)) == [1, 2, 3]
    error = error_of(client.get_versions, subject)
    assert (error.http_status_code, error.error_code) == (404, 40401)
    # A permanently deleted subject starts again from version 1.
    client.register_schema(subject, avro(V2))
    assert client.get_versions(subject) == [1]


def test_not_found_errors(client: SchemaRegistryClient, subject: str) -> None:
    error = error_of(client.get_latest_version, subject)
    assert (error.http_status_code, error.error_code) == (404, 40401)
    client.register_schema(subject, avro(V1))
    error = error_of(client.get_version, subject, 7)
    assert (error.http_status_code, error.error_code) == (404, 40402)
    error = error_of(client.get_schema, 987_654)
    assert (error.http_status_code, error.error_code) == (404, 40403)
    error = error_of(client.lookup_schema, subject, avro(V2))
    assert (error.http_status_code, error.error_code) == (404, 40403)


def test_invalid_schema_is_42201(client: SchemaRegistryClient, subject: str) -> None:
    wrong_default = {
        **V1,
        "fields": [{"name": "user_id", "type": "long", "default": "not a number"}],
    }
    for text in ('{"type": "record"', json.dumps(wrong_default), '{"type": "nonsense"}'):
        error = error_of(client.register_schema, subject, Schema(text, "AVRO"))
        assert (error.http_status_code, error.error_code) == (422, 42201), text
    error = error_of(client.register_schema, subject, Schema('{"type": "object"}', "XML"))
    assert (error.http_status_code, error.error_code) == (422, 42201)
    error = error_of(client.register_schema, subject, Schema('{"type": "nonsense"}', "JSON"))
    assert (error.http_status_code, error.error_code) == (422, 42201)


def test_references_and_referencedby(client: SchemaRegistryClient, subject: str) -> None:
    address = {
        "type": "record",
        "name": "Address",
        "namespace": "test.shared",
        "fields": [{"name": "city", "type": "string"}],
    }
    base_subject = subject + "-address"
    client.register_schema(base_subject, avro(address))
    user = {
        "type": "record",
        "name": "User",
        "namespace": "test.events",
        "fields": [{"name": "home", "type": "test.shared.Address"}],
    }
    reference = SchemaReference("test.shared.Address", base_subject, 1)
    user_id = client.register_schema(subject, Schema(json.dumps(user), "AVRO", [reference]))
    assert client.get_referenced_by(base_subject, 1) == [user_id]
    fetched = client.get_schema(user_id)
    assert [ref.subject for ref in fetched.references or []] == [base_subject]
    error = error_of(client.delete_version, base_subject, 1)
    assert (error.http_status_code, error.error_code) == (422, 42206)
