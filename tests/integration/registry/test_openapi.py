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
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
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


def _config(base_url: str) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "base-url": base_url,
            # A fixed seed and derandomized Hypothesis: the same cases on every run.
            "seed": 1,
            "generation": {
                "mode": "all",
                "max-examples": 50,
                "deterministic": True,
                # No example database: a stored failure must not change the next run's cases.
                "database": "none",
                # Shrinking replays requests many times; the failing case is reported as is.
                "no-shrink": True,
            },
            "phases": {"stateful": {"enabled": False}},
        }
    )


def _reset_registry_wide_state(session: requests.Session, url: str) -> None:
    """Back to READWRITE and the default level: the registry is shared with other modules."""
    for path in ("/mode", "/config"):
        response = session.delete(url + path, timeout=10)
        assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


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
    return schemathesis.openapi.from_url(
        f"{seeded_registry}/openapi.json", config=_config(seeded_registry), timeout=10
    )


@pytest.fixture(autouse=True)
def _nodeid_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32 renames the test per operation through Node._nodeid, which pytest 9.2
    replaced; give it back the attribute so its reporting works."""
    node = vars(request.node)
    node.setdefault("_nodeid", request.node.nodeid)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_responses_match_the_openapi_document(
    case: schemathesis.Case[Any], http: requests.Session
) -> None:
    case.call_and_validate(session=http, checks=CHECKS, timeout=10)
