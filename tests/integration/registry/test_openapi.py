"""Schemathesis fuzzes the running registry over HTTP against its own /openapi.json.

Every response must be documented: no 5xx, a documented status and media type, and a body
that matches the documented schema.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis

from tests.integration.openapi_fuzz import load_openapi, openapi_test

JSON = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
# The subjects and schemas of the document's examples, registered before the run so that
# reads by example (orders-value, version 1, latest) answer 200 and not only 404.
ORDER: dict[str, Any] = {
    "type": "record",
    "name": "Order",
    "namespace": "com.example",
    "fields": [{"name": "id", "type": "long"}],
}
ORDER_V2: dict[str, Any] = {
    **ORDER,
    "fields": [*ORDER["fields"], {"name": "note", "type": "string", "default": ""}],
}
ORDER_PLACED: dict[str, Any] = {
    "type": "record",
    "name": "OrderPlaced",
    "namespace": "com.example",
    "fields": [{"name": "order", "type": "com.example.Order"}],
}
SEED: list[tuple[str, dict[str, Any]]] = [
    ("orders-value", {"schema": json.dumps(ORDER)}),
    ("orders-value", {"schema": json.dumps(ORDER_V2)}),
    (
        "order-placed-value",
        {
            "schema": json.dumps(ORDER_PLACED),
            "references": [{"name": "com.example.Order", "subject": "orders-value", "version": 1}],
        },
    ),
]


def _reset_registry_wide_state(session: requests.Session, url: str) -> None:
    """Back to READWRITE and the default level: the registry is shared with other modules."""
    for path in ("/mode", "/config"):
        response = session.delete(url + path, timeout=10)
        assert response.status_code == 200, response.text


@pytest.fixture
def seeded_registry(registry_url: str, http: requests.Session) -> Iterator[str]:
    """The registry with the document's example data; its registry-wide state reset after."""
    _reset_registry_wide_state(http, registry_url)
    for subject, body in SEED:
        for path in (f"/mode/{subject}", f"/config/{subject}"):
            http.delete(registry_url + path, timeout=10)
        response = http.post(
            f"{registry_url}/subjects/{subject}/versions", json=body, headers=JSON, timeout=10
        )
        assert response.status_code == 200, response.text
    yield registry_url
    _reset_registry_wide_state(http, registry_url)


@pytest.fixture
def api_schema(seeded_registry: str) -> schemathesis.BaseSchema:
    return load_openapi(seeded_registry)


test_responses_match_the_openapi_document = openapi_test("api_schema")
