"""Every registry error class lives in registry.errors and sends an ErrorCode member."""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.test import TestResponse

import registry
from contract.error_codes import ErrorCode
from registry.errors import RegistryError
from tests.unit.registry.flask_app import make_registry_app


def every_error_class() -> list[type[RegistryError]]:
    # Import the whole package first: a subclass defined anywhere else must be seen too.
    # Alembic's scripts run only under alembic, and define no errors.
    for module in pkgutil.walk_packages(registry.__path__, prefix="registry."):
        if not module.name.startswith("registry.migrations"):
            importlib.import_module(module.name)
    found: list[type[RegistryError]] = []
    pending: list[type[RegistryError]] = [RegistryError]
    while pending:
        error_class = pending.pop()
        found.append(error_class)
        pending.extend(error_class.__subclasses__())
    return found


def test_every_error_class_is_in_the_errors_module() -> None:
    elsewhere = [cls for cls in every_error_class() if cls.__module__ != "registry.errors"]
    assert elsewhere == []


def test_every_error_class_sends_an_error_code_member() -> None:
    for error_class in every_error_class():
        assert isinstance(error_class.error_code, ErrorCode), error_class


def test_each_code_has_one_status_which_the_code_names() -> None:
    statuses: dict[ErrorCode, set[int]] = defaultdict(set)
    for error_class in every_error_class():
        statuses[error_class.error_code].add(error_class.http_status)
    for code, found in statuses.items():
        # Confluent's codes are the status (409, 404…) or the status and two digits (40401).
        expected = int(code) if code < 1000 else int(code) // 100
        assert found == {expected}, code


def test_a_status_without_a_member_stays_its_number() -> None:
    assert ErrorCode.of_http_status(404) is ErrorCode.NOT_FOUND
    assert ErrorCode.of_http_status(418) == 418


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return make_registry_app(tmp_path)


def sent_code(answer: TestResponse) -> int:
    body = answer.json
    assert isinstance(body, dict)
    code: int = body["error_code"]
    return code


def test_what_the_framework_refuses_is_sent_as_a_member(app: Flask) -> None:
    client = app.test_client()
    answers = {
        ErrorCode.NOT_FOUND: client.get("/no/such/route"),
        ErrorCode.METHOD_NOT_ALLOWED: client.put("/contexts"),
        ErrorCode.NOT_ACCEPTABLE: client.get("/subjects", headers={"Accept": "text/html"}),
        ErrorCode.UNSUPPORTED_MEDIA_TYPE: client.post("/", data="x", content_type="text/plain"),
        ErrorCode.BAD_REQUEST: client.post(
            "/subjects/s/versions", data="{not json", content_type="application/json"
        ),
    }
    for code, answer in answers.items():
        assert (answer.status_code, sent_code(answer)) == (int(code), int(code))


def test_an_unexpected_error_is_sent_as_internal_server_error(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("registry.service.RegistryService.list_subjects", broken)
    answer = app.test_client().get("/subjects")
    assert (answer.status_code, sent_code(answer)) == (500, ErrorCode.INTERNAL_SERVER_ERROR)
