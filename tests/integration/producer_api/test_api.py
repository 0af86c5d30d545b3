"""The users API over real HTTP, as `python -m producer_api` on a real PostgreSQL."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from _pytest.mark import ParameterSet

from tests.integration.producer_api.conftest import RunningApi, row_counts
from tests.privacy import remember

JSON = {"Content-Type": "application/json"}
ORIGINAL_CURL_BODY = (
    '{"username": "jtr", "country_code": "BE", "created_at": "2021-01-01 00:00:00"}'
)


def unique_name(prefix: str = "user") -> str:
    return remember(f"{prefix}-{uuid.uuid4().hex[:12]}")


def valid_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "username": unique_name(),
        "country_code": "BE",
        "created_at": "2021-01-01 00:00:00",
    }
    body.update(changes)
    return body


def without(field: str) -> dict[str, Any]:
    body = valid_body()
    del body[field]
    return body


def bad(
    case_id: str,
    body: bytes | dict[str, Any],
    status: int,
    fields: set[str | None],
    content_type: str = "application/json",
) -> ParameterSet:
    """One bad request: its body, content type, status, and the fields the answer names."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return pytest.param(raw, content_type, status, fields, id=case_id)


WRONG_VALUES: list[tuple[str, Any]] = [
    ("username", 123),
    ("username", None),
    ("username", ["jtr"]),
    ("country_code", 32),
    ("created_at", 1609459200),
    ("is_a_dog", "yes"),
    ("is_a_dog", 1),
    ("is_a_dog", None),
    ("username", "x" * 101),
    ("username", ""),
    ("username", "   "),
    ("username", "nul\u0000byte"),
    ("country_code", "ZZ"),
    ("country_code", "BEL"),
    ("country_code", ""),
    ("created_at", "2021-02-30 00:00:00"),
    ("created_at", "yesterday"),
    ("created_at", ""),
]
BAD_REQUESTS = [
    *(
        bad(f"missing {field}", without(field), 400, {field})
        for field in ("username", "country_code", "created_at")
    ),
    *(
        bad(f"{field} is {value!r:.24}", valid_body(**{field: value}), 400, {field})
        for field, value in WRONG_VALUES
    ),
    bad("unknown field", valid_body(nickname="j"), 400, {"nickname"}),
    bad(
        "several fields at fault",
        {"username": "", "country_code": "XX", "created_at": "2021-13-01"},
        400,
        {"username", "country_code", "created_at"},
    ),
    bad("not JSON", b"{username: jtr}", 400, {"body"}),
    bad("empty body", b"", 400, {"body"}),
    bad("JSON array", b"[]", 400, {"body"}),
    bad("JSON string", b'"jtr"', 400, {"body"}),
    bad("not UTF-8", b'{"username": "\xff"}', 400, {"body"}),
    bad("oversize body", valid_body(pad="x" * 17_000), 413, {"body"}),
    bad("text/plain", valid_body(), 415, {None}, "text/plain"),
    bad(
        "form (curl without a header)",
        valid_body(),
        415,
        {None},
        "application/x-www-form-urlencoded",
    ),
    bad("JSON merge patch", valid_body(), 415, {None}, "application/merge-patch+json"),
]


@pytest.mark.parametrize(("body", "content_type", "status", "fields"), BAD_REQUESTS)
def test_bad_requests_name_the_field_and_write_nothing(
    api: RunningApi,
    tables: sa.Engine,
    body: bytes,
    content_type: str,
    status: int,
    fields: set[str | None],
) -> None:
    before = row_counts(tables)
    answer = requests.post(
        f"{api.url}/users",
        data=body,
        headers={"Content-Type": content_type},
        timeout=10,
    )
    assert answer.status_code == status
    assert answer.headers["Content-Type"] == "application/json"
    errors = answer.json()["errors"]
    assert {error["field"] for error in errors} == fields
    assert all(isinstance(error["message"], str) and error["message"] for error in errors)
    assert row_counts(tables) == before


def test_a_chunked_body_over_the_limit_is_a_413_not_a_truncated_body(
    api: RunningApi, tables: sa.Engine
) -> None:
    before = row_counts(tables)
    # Valid JSON once whole: cut at the limit, it would read as a broken body (400) instead.
    oversize = json.dumps(valid_body(is_a_dog=False)).encode()
    oversize = oversize[:-1] + b" " * 17_000 + b"}"
    answer = requests.post(
        f"{api.url}/users", data=iter([oversize[:8000], oversize[8000:]]), headers=JSON, timeout=10
    )
    assert answer.status_code == 413
    assert answer.json()["errors"] == [{"field": "body", "message": "must be at most 16384 bytes"}]
    assert row_counts(tables) == before

    fits = json.dumps(valid_body()).encode()
    answer = requests.post(
        f"{api.url}/users", data=iter([fits[:10], fits[10:]]), headers=JSON, timeout=10
    )
    assert answer.status_code == 201


def test_original_curl_creates_the_user_and_one_event(api: RunningApi, tables: sa.Engine) -> None:
    curl = shutil.which("curl")
    if curl is not None:
        # The command line, verbatim but for the port (and -i to see the headers).
        result = subprocess.run(
            [
                curl,
                "--silent",
                "--include",
                "--header",
                "Content-Type: application/json",
                "--request",
                "POST",
                "--data",
                ORIGINAL_CURL_BODY,
                f"{api.url}/users",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        head, _, text = result.stdout.replace("\r\n", "\n").partition("\n\n")
        status = int(head.split()[1])
        headers = dict(line.split(": ", 1) for line in head.splitlines()[1:] if ": " in line)
        location = {key.lower(): value for key, value in headers.items()}["location"]
    else:
        answer = requests.post(
            f"{api.url}/users", data=ORIGINAL_CURL_BODY, headers=JSON, timeout=10
        )
        status, text, location = answer.status_code, answer.text, answer.headers["Location"]

    assert status == 201
    user = json.loads(text)
    assert location == f"/users/{user['id']}"
    assert user == {
        "id": user["id"],
        "username": "jtr",
        "country_code": "BE",
        "created_at": "2021-01-01T00:00:00Z",
        "is_a_dog": False,
        "api_version": "0.0.1",
    }
    with tables.connect() as connection:
        row = connection.execute(
            sa.text(
                "SELECT username, country_code, is_a_dog, api_version FROM users WHERE id = :id"
            ),
            {"id": user["id"]},
        ).one()
        events = connection.execute(
            sa.text(
                "SELECT payload, schema_subject, schema_version, topic, message_key, sent_at "
                "FROM outbox WHERE aggregate_id = :id"
            ),
            {"id": str(user["id"])},
        ).all()
    assert tuple(row) == ("jtr", "BE", False, "0.0.1")
    assert len(events) == 1
    payload, subject, version, topic, key, sent_at = events[0]
    assert payload["user_id"] == user["id"]
    assert payload["country_code"] == "BE"
    assert payload["created_at"] == 1_609_459_200_000
    assert payload["is_a_dog"] is False
    assert "username" not in payload
    assert "jtr" not in json.dumps(payload)
    assert (subject, version, topic, key) == (
        "user-events-value",
        2,
        "user-events",
        str(user["id"]),
    )
    assert sent_at is None


@pytest.mark.parametrize(
    ("changes", "stored"),
    [
        ({"country_code": "be"}, {"country_code": "BE"}),
        ({"is_a_dog": True}, {"is_a_dog": True}),
        ({"created_at": "2021-06-01T12:30:00+02:00"}, {"created_at": "2021-06-01T10:30:00Z"}),
        ({"created_at": "2021-06-01T12:30:00Z"}, {"created_at": "2021-06-01T12:30:00Z"}),
        ({"created_at": "2021-06-01T12:30:00.250"}, {"created_at": "2021-06-01T12:30:00.250000Z"}),
        ({"username": "é" * 100}, {"username": "é" * 100}),
    ],
)
def test_accepted_variants_are_stored_normalised(
    api: RunningApi, changes: dict[str, Any], stored: dict[str, Any]
) -> None:
    if "username" in changes:
        changes = {**changes, "username": changes["username"][:88] + uuid.uuid4().hex[:12]}
        stored = {**stored, "username": changes["username"]}
    answer = requests.post(f"{api.url}/users", json=valid_body(**changes), timeout=10)
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert {key: created[key] for key in stored} == stored
    fetched = requests.get(f"{api.url}{answer.headers['Location']}", timeout=10)
    assert fetched.status_code == 200
    assert fetched.json() == created


def test_one_username_posted_twenty_times_at_once_creates_one_user(
    api: RunningApi, tables: sa.Engine
) -> None:
    body = json.dumps(valid_body(username=unique_name("race")))
    start = threading.Barrier(20)

    def post(_: int) -> requests.Response:
        with requests.Session() as session:
            start.wait(timeout=30)
            return session.post(f"{api.url}/users", data=body, headers=JSON, timeout=30)

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(post, range(20)))

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] + [409] * 19
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json() == {
                "errors": [{"field": "username", "message": "this username is already taken"}]
            }
    user_id = next(answer.json()["id"] for answer in answers if answer.status_code == 201)
    username = json.loads(body)["username"]
    with tables.connect() as connection:
        users = connection.execute(
            sa.text("SELECT count(*) FROM users WHERE username = :name"), {"name": username}
        ).scalar_one()
        events = connection.execute(
            sa.text("SELECT count(*) FROM outbox WHERE aggregate_id = :id"), {"id": str(user_id)}
        ).scalar_one()
    assert (users, events) == (1, 1)


def test_get_user_and_its_not_found_answers(api: RunningApi) -> None:
    created = requests.post(f"{api.url}/users", json=valid_body(is_a_dog=True), timeout=10)
    assert created.status_code == 201
    user = created.json()
    found = requests.get(f"{api.url}/users/{user['id']}", timeout=10)
    assert found.status_code == 200
    assert found.json() == user

    for path in ("/users/987654321", "/users/0", "/users/abc", f"/users/{2**64}", "/nowhere"):
        missing = requests.get(f"{api.url}{path}", timeout=10)
        assert missing.status_code == 404, path
        assert missing.headers["Content-Type"] == "application/json"
        assert len(missing.json()["errors"]) == 1


def test_wrong_method_is_a_json_405(api: RunningApi) -> None:
    answer = requests.delete(f"{api.url}/users", timeout=10)
    assert answer.status_code == 405
    assert answer.headers["Content-Type"] == "application/json"
    assert "POST" in answer.headers["Allow"]
    assert answer.json()["errors"][0]["field"] is None


def test_probes_metrics_and_openapi(api: RunningApi) -> None:
    assert requests.get(f"{api.url}/healthz", timeout=10).json() == {"status": "ok"}
    ready = requests.get(f"{api.url}/readyz", timeout=10)
    assert (ready.status_code, ready.json()) == (200, {"status": "ok"})

    requests.post(f"{api.url}/users", json=valid_body(), timeout=10).raise_for_status()
    metrics = requests.get(f"{api.url}/metrics", timeout=10)
    assert metrics.status_code == 200
    assert metrics.headers["Content-Type"].startswith("text/plain")
    samples = metrics.text.splitlines()
    created = [
        line
        for line in samples
        if line.startswith("producer_api_requests_total{")
        and 'route="/users"' in line
        and 'status="201"' in line
    ]
    assert created and float(created[0].rsplit(" ", 1)[1]) >= 1
    backlog = [line for line in samples if line.startswith("producer_api_outbox_backlog_rows ")]
    # Nothing relays in this test, so every event written so far waits.
    assert backlog and float(backlog[0].split()[1]) >= 1
    assert any(
        line.startswith("producer_api_outbox_oldest_unsent_age_seconds ") for line in samples
    )
    assert "producer_api_outbox_up 1.0" in samples

    document = requests.get(f"{api.url}/openapi.json", timeout=10)
    assert document.status_code == 200
    spec = document.json()
    assert spec["openapi"] == "3.0.3"
    assert {"post"} <= set(spec["paths"]["/users"])
    assert {"get"} <= set(spec["paths"]["/users/{id}"])


def test_logs_are_json_lines_without_usernames(api: RunningApi) -> None:
    names = [unique_name("secretname") for _ in range(4)]
    request_id = f"test-{uuid.uuid4().hex}"
    first = requests.post(
        f"{api.url}/users",
        json=valid_body(username=names[0]),
        headers={"X-Request-Id": request_id},
        timeout=10,
    )
    assert first.status_code == 201
    assert first.headers["X-Request-Id"] == request_id
    # A conflict, a refused value next to the name, and a body that is not JSON.
    taken = requests.post(f"{api.url}/users", json=valid_body(username=names[0]), timeout=10)
    assert taken.status_code == 409
    refused = requests.post(
        f"{api.url}/users", json=valid_body(username=names[1], country_code="ZZ"), timeout=10
    )
    assert refused.status_code == 400
    broken = requests.post(
        f"{api.url}/users", data=f'{{"username": "{names[2]}",', headers=JSON, timeout=10
    )
    assert broken.status_code == 400
    made_up_id = requests.get(
        f"{api.url}/healthz", headers={"X-Request-Id": names[3] + " x"}, timeout=10
    )
    assert made_up_id.headers["X-Request-Id"] != names[3] + " x"

    text = api.log_text()
    for name in names:
        assert name not in text
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    mine = [line for line in lines if line.get("request_id") == request_id]
    assert len(mine) == 1
    assert {key: mine[0][key] for key in ("event", "method", "route", "status")} == {
        "event": "request",
        "method": "POST",
        "route": "/users",
        "status": 201,
    }
    assert isinstance(mine[0]["duration_ms"], float)
