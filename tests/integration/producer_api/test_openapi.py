"""Schemathesis fuzzes the running users API over HTTP against its own /openapi.json.

The API is a real `python -m producer_api` on a real PostgreSQL; every answer must be one
the document describes (tests/integration/openapi_fuzz.py lists the checks). Its libpq
sessions start in a time zone west of UTC, where year-1 timestamps once failed to load.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis

from tests.integration.openapi_fuzz import load_openapi, openapi_test
from tests.integration.producer_api.conftest import RunningApi, running_api


@pytest.fixture(scope="module")
def west_of_utc_api(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApi]:
    with running_api(tmp_path_factory, database_url, PGTZ="America/New_York") as running:
        yield running


@pytest.fixture
def api_schema(west_of_utc_api: RunningApi) -> schemathesis.BaseSchema:
    return load_openapi(west_of_utc_api.url, max_examples=300)


test_responses_match_the_openapi_document = openapi_test("api_schema")
