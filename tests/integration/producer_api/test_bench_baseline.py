"""The write-path benchmark's baseline route: the API's validation, the user alone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from bench.api_server import USER_ALONE_PATH, create_bench_app
from producer_api.app import create_app
from producer_api.database import migrate, open_engine
from producer_api.settings import ApiSettings
from tests.integration.producer_api.conftest import SCHEMAS_DIR, row_counts
from tests.integration.producer_api.test_api import valid_body


@pytest.fixture(scope="module")
def settings(database_url: str) -> ApiSettings:
    engine = open_engine(database_url)
    migrate(engine)
    engine.dispose()
    return ApiSettings.model_validate({"DATABASE_URL": database_url, "SCHEMAS_DIR": SCHEMAS_DIR})


@pytest.fixture
def bench_client(settings: ApiSettings) -> Iterator[FlaskClient]:
    app = create_bench_app(settings)
    yield app.test_client()
    app.extensions["producer_api"].engine.dispose()


def test_the_baseline_route_inserts_the_user_without_an_event(
    bench_client: FlaskClient, tables: sa.Engine
) -> None:
    users, events = row_counts(tables)
    body = valid_body()
    answer = bench_client.post(USER_ALONE_PATH, json=body)
    assert answer.status_code == 201
    assert row_counts(tables) == (users + 1, events)
    assert bench_client.post(USER_ALONE_PATH, json=body).status_code == 409
    refused = bench_client.post(USER_ALONE_PATH, json=valid_body(is_a_dog="yes"))
    assert refused.status_code == 400
    assert refused.json is not None
    assert refused.json["errors"][0]["field"] == "is_a_dog"


def test_the_api_itself_has_no_baseline_route(settings: ApiSettings) -> None:
    app = create_app(settings)
    answer = app.test_client().post(USER_ALONE_PATH, json=valid_body())
    assert answer.status_code == 404
    app.extensions["producer_api"].engine.dispose()
