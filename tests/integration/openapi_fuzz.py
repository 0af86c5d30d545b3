"""Schemathesis against a running service's own /openapi.json, the same way for every service.

Every response must be documented: no 5xx, a documented status, media type and headers, and
a body that matches the documented schema. A module defines a fixture giving the loaded
document (`load_openapi`) and takes its test from `openapi_test`.
"""

from __future__ import annotations

from collections.abc import Callable
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
TIMEOUT_SECONDS = 10


def fuzz_config(base_url: str, *, max_examples: int = 50) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "base-url": base_url,
            # A fixed seed and derandomized Hypothesis: the same cases on every run.
            "seed": 1,
            "generation": {
                "mode": "all",
                "max-examples": max_examples,
                "deterministic": True,
                # No example database: a stored failure must not change the next run's cases.
                "database": "none",
                # Shrinking replays requests many times; the failing case is reported as is.
                "no-shrink": True,
            },
            "phases": {"stateful": {"enabled": False}},
        }
    )


def load_openapi(base_url: str, *, max_examples: int = 50) -> schemathesis.BaseSchema:
    """The document the service at ``base_url`` serves at /openapi.json."""
    return schemathesis.openapi.from_url(
        f"{base_url}/openapi.json",
        config=fuzz_config(base_url, max_examples=max_examples),
        timeout=TIMEOUT_SECONDS,
    )


def openapi_test(schema_fixture: str) -> Callable[..., None]:
    """A test of every operation of the document the fixture ``schema_fixture`` loads."""
    schema = schemathesis.pytest.from_fixture(schema_fixture)

    @schema.parametrize()
    @pytest.mark.usefixtures("schemathesis_node_id")
    def test_responses_match_the_openapi_document(
        case: schemathesis.Case[Any], http: requests.Session
    ) -> None:
        case.call_and_validate(session=http, checks=CHECKS, timeout=TIMEOUT_SECONDS)

    test: Callable[..., None] = test_responses_match_the_openapi_document
    return test
