"""The console's schema pages against a real registry over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests
from flask.testing import FlaskClient

from console.app import create_app
from console.settings import ConsoleSettings
from tests.console_pages import EVENT_SCHEMAS, incompatible_candidate, register


def _versions(registry_url: str, subject: str) -> list[int]:
    answer = requests.get(f"{registry_url}/subjects/{subject}/versions", timeout=10)
    answer.raise_for_status()
    versions: list[int] = answer.json()
    return versions


def _console(registry_url: str, *, write_access: bool = False) -> FlaskClient:
    settings = ConsoleSettings(registry_url=registry_url, write_access=write_access)
    return create_app(settings).test_client()


@pytest.fixture
def evolved(registry_url: str, subject: str) -> Iterator[tuple[str, list[int]]]:
    """The subject with the platform's two event schema versions."""
    ids = [
        register(registry_url, subject, (EVENT_SCHEMAS / name).read_text())
        for name in ("1.avsc", "2.avsc")
    ]
    yield subject, ids


def test_the_subjects_page_lists_level_mode_and_versions(
    registry_url: str, evolved: tuple[str, list[int]]
) -> None:
    subject, _ids = evolved
    page = _console(registry_url).get("/schemas")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert subject in text
    row = text[text.index(subject) :].split("</tr>")[0]
    assert "BACKWARD" in row
    assert "READWRITE" in row


def test_a_subjects_page_lists_its_versions_with_their_ids(
    registry_url: str, evolved: tuple[str, list[int]]
) -> None:
    subject, ids = evolved
    page = _console(registry_url).get("/schemas/subject", query_string={"name": subject})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for number, schema_id in zip((1, 2), ids, strict=True):
        assert f'<th scope="row">{number}</th><td>{schema_id}</td>' in text


def test_the_diff_names_the_field_added(registry_url: str, evolved: tuple[str, list[int]]) -> None:
    subject, _ids = evolved
    page = _console(registry_url).get(
        "/schemas/diff", query_string={"name": subject, "from": "1", "to": "2"}
    )
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<code>signup_channel</code></th><td>added</td>" in text


def test_the_diff_of_protobuf_versions_shows_both_texts(registry_url: str, subject: str) -> None:
    for fields in ("int64 id = 1;", "int64 id = 1; string note = 2;"):
        answer = requests.post(
            f"{registry_url}/subjects/{subject}/versions",
            json={
                "schemaType": "PROTOBUF",
                "schema": f'syntax = "proto3"; message M {{ {fields} }}',
            },
            timeout=10,
        )
        answer.raise_for_status()
    page = _console(registry_url).get(
        "/schemas/diff", query_string={"name": subject, "from": "1", "to": "2"}
    )
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "these are PROTOBUF schemas" in text
    assert "string note = 2;" in text


def test_an_incompatible_candidate_is_shown_with_its_path_and_changes_nothing(
    registry_url: str, evolved: tuple[str, list[int]]
) -> None:
    subject, _ids = evolved
    page = _console(registry_url).post(
        "/schemas/check", data={"name": subject, "schema": incompatible_candidate()}
    )
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Incompatible under BACKWARD" in text
    assert "/fields/7" in text
    assert "referrer" in text
    assert _versions(registry_url, subject) == [1, 2]


def test_a_schema_that_does_not_parse_is_shown_with_the_registrys_message(
    registry_url: str, evolved: tuple[str, list[int]]
) -> None:
    subject, _ids = evolved
    page = _console(registry_url).post(
        "/schemas/check", data={"name": subject, "schema": '{"type": "record"}'}
    )
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Incompatible" in text
    assert "Invalid schema of type AVRO" in text
    assert "name" in text


def test_registering_is_refused_while_the_console_is_read_only(
    registry_url: str, evolved: tuple[str, list[int]]
) -> None:
    subject, _ids = evolved
    compatible = json.loads((EVENT_SCHEMAS / "2.avsc").read_text())
    compatible["doc"] = "A new version."
    page = _console(registry_url).post(
        "/schemas/register", data={"name": subject, "schema": json.dumps(compatible)}
    )
    assert page.status_code == 403
    assert _versions(registry_url, subject) == [1, 2]


def test_with_write_access_a_compatible_schema_is_registered_and_an_incompatible_one_refused(
    registry_url: str, evolved: tuple[str, list[int]]
) -> None:
    subject, _ids = evolved
    console = _console(registry_url, write_access=True)
    refused = console.post(
        "/schemas/register", data={"name": subject, "schema": incompatible_candidate()}
    )
    assert refused.status_code == 409
    assert "referrer" in refused.get_data(as_text=True)
    compatible = json.loads((EVENT_SCHEMAS / "2.avsc").read_text())
    compatible["fields"].append({"name": "referrer", "type": "string", "default": ""})
    done = console.post(
        "/schemas/register", data={"name": subject, "schema": json.dumps(compatible)}
    )
    assert done.status_code == 200
    assert "Registered as version 3" in done.get_data(as_text=True)
    assert _versions(registry_url, subject) == [1, 2, 3]


def test_an_unknown_subject_is_a_404_page(registry_url: str, subject: str) -> None:
    page = _console(registry_url).get(
        "/schemas/diff", query_string={"name": subject, "from": "1", "to": "2"}
    )
    assert page.status_code == 404
