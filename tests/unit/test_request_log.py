"""Both Flask apps share one request middleware: the same request ids and the same log line."""

from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from structlog.testing import capture_logs
from werkzeug.security import generate_password_hash

from platform_common.request_log import UNMATCHED
from registry.settings import RegistrySettings
from tests.unit.producer_api.test_app import make_app as make_api_app
from tests.unit.registry.flask_app import make_registry_app

# Free text (it could name a person) and an overlong id: neither reaches a log or an answer.
REFUSED_IDS = ("jtr lives in Brussels", "a" * 200, "")
KEPT_ID = "trace-42:a.b_c"
GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture(params=["registry", "producer_api"])
def app_and_probe(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Flask, str]:
    """Each app with a route that answers without a database."""
    if request.param == "registry":
        return make_registry_app(tmp_path), "/"
    return make_api_app(monkeypatch), "/healthz"


def request_lines(send: Callable[[], Any]) -> tuple[Any, list[MutableMapping[str, Any]]]:
    with capture_logs() as logged:
        answer = send()
    return answer, [line for line in logged if line["event"] == "request"]


def test_the_request_id_is_set_before_any_other_hook(app_and_probe: tuple[Flask, str]) -> None:
    first = app_and_probe[0].before_request_funcs[None][0]
    assert first.__module__ == "platform_common.request_log"


@pytest.mark.parametrize("offered", REFUSED_IDS)
def test_an_id_that_is_not_one_is_replaced_in_the_answer_and_the_log(
    app_and_probe: tuple[Flask, str], offered: str
) -> None:
    app, probe = app_and_probe
    client = app.test_client()
    answer, lines = request_lines(lambda: client.get(probe, headers={"X-Request-Id": offered}))
    request_id = answer.headers["X-Request-Id"]
    assert GENERATED.fullmatch(request_id)
    assert len(lines) == 1
    assert lines[0]["request_id"] == request_id
    if offered:
        assert offered not in repr(lines)


def test_an_id_that_looks_like_one_is_kept(app_and_probe: tuple[Flask, str]) -> None:
    app, probe = app_and_probe
    client = app.test_client()
    answer, lines = request_lines(lambda: client.get(probe, headers={"X-Request-Id": KEPT_ID}))
    assert answer.headers["X-Request-Id"] == KEPT_ID
    assert [
        {key: line[key] for key in ("method", "route", "status", "request_id")} for line in lines
    ] == [{"method": "GET", "route": probe, "status": 200, "request_id": KEPT_ID}]
    assert isinstance(lines[0]["duration_ms"], float)


def test_a_request_no_route_matched_is_logged_as_unmatched(
    app_and_probe: tuple[Flask, str],
) -> None:
    client = app_and_probe[0].test_client()
    answer, lines = request_lines(lambda: client.get("/no/such/route/jtr"))
    assert answer.status_code == 404
    assert [(line["route"], line["status"]) for line in lines] == [(UNMATCHED, 404)]
    assert "jtr" not in repr(lines)


def test_the_registry_logs_a_refused_login_with_its_request_id(tmp_path: Path) -> None:
    users = tmp_path / "users"
    users.write_text(f"reader:read-only:{generate_password_hash('secret')}\n")
    app = make_registry_app(tmp_path, RegistrySettings(auth_file=users))
    client = app.test_client()
    answer, lines = request_lines(
        lambda: client.get("/subjects", headers={"X-Request-Id": KEPT_ID})
    )
    assert answer.status_code == 401
    assert answer.headers["X-Request-Id"] == KEPT_ID
    assert [(line["status"], line["request_id"]) for line in lines] == [(401, KEPT_ID)]
