"""The HTTP layer without a database: every error answers JSON in one shape."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from producer_api.app import create_app
from producer_api.settings import ApiSettings

SCHEMAS_DIR = Path(__file__).resolve().parents[3] / "schemas"


def make_app(monkeypatch: pytest.MonkeyPatch, **env: str) -> Flask:
    monkeypatch.setenv("SCHEMAS_DIR", str(SCHEMAS_DIR))
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # Never connected: these requests are answered before any database work.
    engine = sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    return create_app(ApiSettings(), engine=engine)


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> FlaskClient:
    return make_app(monkeypatch).test_client()


def errors_of(answer: TestResponse) -> list[dict[str, str | None]]:
    body = answer.json
    assert isinstance(body, dict)
    found: list[dict[str, str | None]] = body["errors"]
    return found


def test_two_apps_in_one_process_keep_their_own_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = make_app(monkeypatch), make_app(monkeypatch)
    assert first.test_client().get("/healthz").status_code == 200
    assert second.test_client().get("/healthz").json == {"status": "ok"}


def test_a_bad_body_is_a_400_naming_the_fields(client: FlaskClient) -> None:
    answer = client.post("/users", json={"username": "", "country_code": "ZZ"})
    assert answer.status_code == 400
    assert answer.content_type == "application/json"
    assert {error["field"] for error in errors_of(answer)} == {
        "username",
        "country_code",
        "created_at",
    }


def test_another_media_type_is_a_415(client: FlaskClient) -> None:
    answer = client.post("/users", data="username=jtr", content_type="text/plain")
    assert answer.status_code == 415
    assert errors_of(answer)[0]["field"] is None


def test_a_body_over_the_limit_is_a_413(monkeypatch: pytest.MonkeyPatch) -> None:
    client = make_app(monkeypatch, API_MAX_BODY_BYTES="300").test_client()
    answer = client.post("/users", data=b"{" + b" " * 400 + b"}", content_type="application/json")
    assert answer.status_code == 413
    assert errors_of(answer) == [{"field": "body", "message": "must be at most 300 bytes"}]


def test_unknown_routes_and_methods_answer_json(client: FlaskClient) -> None:
    missing = client.get("/nowhere")
    assert missing.status_code == 404
    assert errors_of(missing) == [{"field": None, "message": "no such resource"}]
    wrong = client.put("/users")
    assert wrong.status_code == 405
    assert "POST" in wrong.headers["Allow"]
    assert errors_of(wrong)[0]["field"] is None


def test_request_ids_are_echoed_or_replaced(client: FlaskClient) -> None:
    assert (
        client.get("/healthz", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"]
        == "abc-123"
    )
    replaced = client.get("/healthz", headers={"X-Request-Id": "jtr lives in Brussels"})
    assert replaced.headers["X-Request-Id"] not in ("", "jtr lives in Brussels")


def test_the_openapi_document_describes_every_route(client: FlaskClient) -> None:
    document = client.get("/openapi.json").json
    assert isinstance(document, dict)
    assert document["openapi"] == "3.0.3"
    assert set(document["paths"]) == {
        "/users",
        "/users/{id}",
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
    }


def test_an_unexpected_error_is_a_json_500_logged_by_type_only(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("jtr-secret-detail")

    client = make_app(monkeypatch).test_client()
    monkeypatch.setattr("producer_api.service.find_user", broken)
    answer = client.get("/users/1")
    assert answer.status_code == 500
    assert errors_of(answer) == [{"field": None, "message": "internal server error"}]
    logged = capfd.readouterr()
    assert "unhandled_error" in logged.out + logged.err
    assert "RuntimeError" in logged.out + logged.err
    assert "jtr-secret-detail" not in logged.out + logged.err
