"""Confluent's rules for a registration and a lookup, as a client sees them over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.unit.registry.flask_app import make_registry_app

V1 = "application/vnd.schemaregistry.v1+json"
SUBJECT = "orders-value"


def record(*fields: str, doc: str | None = None) -> str:
    """A record of int fields, each with a default, so any two are compatible both ways."""
    schema: dict[str, Any] = {
        "type": "record",
        "name": "Order",
        "fields": [{"name": name, "type": "int", "default": 0} for name in fields],
    }
    if doc is not None:
        schema["doc"] = doc
    return json.dumps(schema)


# Reads int `a`, so it cannot read a record whose `a` is a string, nor one without `a`.
NEEDS_INT_A = json.dumps(
    {"type": "record", "name": "Order", "fields": [{"name": "a", "type": "int"}]}
)
STRING_A = json.dumps(
    {"type": "record", "name": "Order", "fields": [{"name": "a", "type": "string"}]}
)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[FlaskClient]:
    with make_registry_app(tmp_path).test_client() as test_client:
        yield test_client


def post(client: FlaskClient, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    answer = client.post(path, data=json.dumps(body), content_type=V1)
    return answer.status_code, answer.get_json()


def register(client: FlaskClient, schema: str, **extra: Any) -> tuple[int, Any]:
    return post(client, f"/subjects/{SUBJECT}/versions", {"schema": schema, **extra})


def version_of(client: FlaskClient, schema: str, **extra: Any) -> int:
    status, body = register(client, schema, **extra)
    assert status == 200, body
    return int(body["version"])


def versions(client: FlaskClient, *, deleted: bool = False) -> list[int]:
    query = "?deleted=true" if deleted else ""
    answer: list[int] = client.get(f"/subjects/{SUBJECT}/versions{query}").get_json()
    return answer


def put(client: FlaskClient, path: str, body: dict[str, Any]) -> None:
    answer = client.put(path, data=json.dumps(body), content_type=V1)
    assert answer.status_code == 200, answer.get_json()


def test_a_live_schema_registered_again_keeps_its_version_without_a_check(
    client: FlaskClient,
) -> None:
    assert version_of(client, STRING_A) == 1
    put(client, f"/config/{SUBJECT}", {"compatibility": "NONE"})
    assert version_of(client, NEEDS_INT_A) == 2
    put(client, f"/config/{SUBJECT}", {"compatibility": "BACKWARD"})
    # Incompatible with v2, but it is v1 already: answered as v1, nothing stored.
    assert version_of(client, STRING_A) == 1
    assert versions(client) == [1, 2]


def test_a_soft_deleted_schema_registered_again_gets_a_new_version_and_drops_the_old(
    client: FlaskClient,
) -> None:
    first = register(client, record("a"))[1]
    assert version_of(client, record("a", "b")) == 2
    assert client.delete(f"/subjects/{SUBJECT}/versions/1").get_json() == 1
    again = register(client, record("a"))[1]
    assert (again["id"], again["version"]) == (first["id"], 3)
    assert versions(client, deleted=True) == [2, 3]


def test_versions_count_on_after_the_latest_is_soft_deleted(client: FlaskClient) -> None:
    for version, fields in enumerate((("a",), ("a", "b"), ("a", "b", "c")), 1):
        assert version_of(client, record(*fields)) == version
    assert client.delete(f"/subjects/{SUBJECT}/versions/latest").get_json() == 3
    assert version_of(client, record("a", "d")) == 4
    assert versions(client) == [1, 2, 4]


def test_the_check_skips_soft_deleted_versions(client: FlaskClient) -> None:
    assert version_of(client, NEEDS_INT_A) == 1
    put(client, f"/config/{SUBJECT}", {"compatibility": "NONE"})
    assert version_of(client, STRING_A) == 2
    put(client, f"/config/{SUBJECT}", {"compatibility": "BACKWARD"})
    # Reads v1's int `a` but not v2's string `a`: refused while v2 is live, taken after.
    reader = record("a", doc="widened")
    status, body = register(client, reader)
    assert (status, body["error_code"]) == (409, 409)
    assert client.delete(f"/subjects/{SUBJECT}/versions/2").get_json() == 2
    assert version_of(client, reader) == 3


@pytest.mark.parametrize(
    ("level", "accepted"),
    [("BACKWARD", True), ("FORWARD", True), ("BACKWARD_TRANSITIVE", False), ("NONE", True)],
)
def test_only_transitive_levels_check_versions_before_the_latest(
    client: FlaskClient, level: str, accepted: bool
) -> None:
    put(client, f"/config/{SUBJECT}", {"compatibility": "NONE"})
    assert version_of(client, STRING_A) == 1
    assert version_of(client, record("b")) == 2
    put(client, f"/config/{SUBJECT}", {"compatibility": level})
    # Compatible with v2 both ways; it cannot read v1's string `a`.
    status, body = register(client, record("a", "b"))
    assert (status == 200) is accepted, body
    if not accepted:
        assert "{oldSchemaVersion: 1}" in body["message"]


def test_a_given_version_must_follow_the_latest_unless_imported(client: FlaskClient) -> None:
    assert version_of(client, record("a"), version=1) == 1
    status, body = register(client, record("a", "b"), version=3)
    assert (status, body["error_code"]) == (422, 42201)
    assert version_of(client, record("a", "b"), version=2) == 2
    put(client, f"/mode/{SUBJECT}?force=true", {"mode": "IMPORT"})
    status, body = register(client, record("a", "c"), version=2, id=500)
    assert (status, body["error_code"]) == (422, 42205)
    assert version_of(client, record("a", "c"), version=7, id=500) == 7
    assert version_of(client, record("a", "d"), version=5, id=501) == 5
    put(client, f"/mode/{SUBJECT}", {"mode": "READWRITE"})
    # The next version follows the highest stored, not the last registered.
    assert version_of(client, record("a", "e")) == 8


def test_a_lookup_follows_writes(client: FlaskClient) -> None:
    lookup = f"/subjects/{SUBJECT}"
    assert version_of(client, record("a")) == 1
    assert version_of(client, record("a", "b")) == 2
    status, body = post(client, lookup, {"schema": record("a")})
    assert (status, body["version"]) == (200, 1)
    assert client.delete(f"/subjects/{SUBJECT}/versions/1").status_code == 200
    status, body = post(client, lookup, {"schema": record("a")})
    assert (status, body["error_code"]) == (404, 40403)
    status, body = post(client, f"{lookup}?deleted=true", {"schema": record("a")})
    assert (status, body["version"]) == (200, 1)
    assert version_of(client, record("a")) == 3
    status, body = post(client, lookup, {"schema": record("a")})
    assert (status, body["version"]) == (200, 3)
    assert client.delete(f"/subjects/{SUBJECT}").get_json() == [2, 3]
    status, body = post(client, lookup, {"schema": record("a")})
    assert (status, body["error_code"]) == (404, 40401)


def test_normalize_turned_on_for_the_subject_applies_to_the_next_registration(
    client: FlaskClient,
) -> None:
    spelled = json.dumps({"type": "record", "name": "Order", "namespace": "shop", "fields": []})
    full_name = json.dumps({"type": "record", "name": "shop.Order", "fields": []})
    assert version_of(client, spelled) == 1
    second = register(client, full_name)[1]
    assert second["version"] == 2
    put(client, f"/config/{SUBJECT}", {"normalize": True})
    # Normalized, the namespace joins the name: it is v2's schema, answered as v2.
    again = register(client, spelled)[1]
    assert (again["id"], again["version"]) == (second["id"], 2)
