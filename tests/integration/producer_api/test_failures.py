"""What the API answers when the event contract refuses an event or the database is down."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import requests
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.engine import make_url

from tests.integration.producer_api.conftest import SCHEMAS_DIR, RunningApi, row_counts, start_api


def body(country_code: str = "BE") -> dict[str, str]:
    return {
        "username": f"user-{uuid.uuid4().hex[:12]}",
        "country_code": country_code,
        "created_at": "2021-01-01 00:00:00",
    }


@pytest.fixture(scope="module")
def narrow_contract_api(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApi]:
    """The API writing events of a contract that only knows Belgium: any other country is
    valid input that the event schema cannot encode."""
    schemas = tmp_path_factory.mktemp("schemas")
    subject = schemas / "user-events-value"
    subject.mkdir()
    schema = json.loads((SCHEMAS_DIR / "user-events-value" / "2.avsc").read_text())
    for field in schema["fields"]:
        if field["name"] == "country_code":
            field["type"] = {"type": "enum", "name": "Country", "symbols": ["BE"]}
    (subject / "1.avsc").write_text(json.dumps(schema))
    process, running = start_api(
        tmp_path_factory.mktemp("narrow-api"), database_url, SCHEMAS_DIR=str(schemas)
    )
    try:
        yield running
    finally:
        process.process.stop(timeout=20.0)


def test_an_event_the_contract_cannot_encode_is_a_422_and_writes_nothing(
    narrow_contract_api: RunningApi, tables: sa.Engine
) -> None:
    before = row_counts(tables)
    refused = requests.post(f"{narrow_contract_api.url}/users", json=body("FR"), timeout=10)
    assert refused.status_code == 422
    errors = refused.json()["errors"]
    assert [error["field"] for error in errors] == ["country_code"]
    assert "FR" not in errors[0]["message"]
    assert row_counts(tables) == before

    accepted = requests.post(f"{narrow_contract_api.url}/users", json=body("BE"), timeout=10)
    assert accepted.status_code == 201
    users, events = before
    assert row_counts(tables) == (users + 1, events + 1)
    with tables.connect() as connection:
        subject, version = connection.execute(
            sa.text("SELECT schema_subject, schema_version FROM outbox WHERE aggregate_id = :id"),
            {"id": str(accepted.json()["id"])},
        ).one()
    assert (subject, version) == ("user-events-value", 1)


def _set_connections(admin_url: str, database: str, *, allowed: bool) -> None:
    """Open or close a database to new connections; closing also ends the open ones."""
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(
            sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS {}").format(
                sql.Identifier(database), sql.Literal(allowed)
            )
        )
        if not allowed:
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (database,),
            )


def test_database_down_is_a_503_until_it_is_back(
    tmp_path: Path, postgres_admin_url: str, database_url: str
) -> None:
    process, api = start_api(tmp_path, database_url)
    database = make_url(database_url).database
    assert database is not None
    try:
        _set_connections(postgres_admin_url, database, allowed=False)
        try:
            for _ in range(3):
                answer = requests.post(f"{api.url}/users", json=body(), timeout=30)
                assert answer.status_code == 503
                assert answer.headers["Content-Type"] == "application/json"
                assert answer.json()["errors"][0]["field"] is None
            lookup = requests.get(f"{api.url}/users/1", timeout=30)
            assert lookup.status_code == 503
            ready = requests.get(f"{api.url}/readyz", timeout=30)
            assert ready.status_code == 503
            assert requests.get(f"{api.url}/healthz", timeout=10).status_code == 200
            metrics = requests.get(f"{api.url}/metrics", timeout=30)
            assert metrics.status_code == 200
            assert "producer_api_outbox_up 0.0" in metrics.text.splitlines()
        finally:
            _set_connections(postgres_admin_url, database, allowed=True)

        # The pool drops its dead connections (pre-ping) and the API recovers by itself.
        deadline = time.monotonic() + 30
        while requests.get(f"{api.url}/readyz", timeout=10).status_code != 200:
            assert time.monotonic() < deadline, "the API did not recover"
            time.sleep(0.2)
        assert requests.post(f"{api.url}/users", json=body(), timeout=10).status_code == 201
        assert "Traceback" not in api.log_text()
    finally:
        process.process.stop(timeout=20.0)


def test_a_user_is_created_on_the_first_try_after_its_pooled_connections_died(
    tmp_path: Path, postgres_admin_url: str, database_url: str
) -> None:
    """As after a database restart: the pool's connections are dead, the server is up."""
    process, api = start_api(tmp_path, database_url)
    database = make_url(database_url).database
    try:
        # Fill each worker's pool with live connections first.
        for _ in range(20):
            assert requests.post(f"{api.url}/users", json=body(), timeout=10).status_code == 201
        with psycopg.connect(postgres_admin_url, autocommit=True) as connection:
            ended = connection.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            ).fetchone()
        assert ended is not None and ended[0] > 0
        statuses = [
            requests.post(f"{api.url}/users", json=body(), timeout=10).status_code
            for _ in range(20)
        ]
        assert statuses == [201] * 20
    finally:
        process.process.stop(timeout=20.0)
