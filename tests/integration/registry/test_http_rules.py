"""Confluent's HTTP rules that a client notices: media types, modes, verbose checks."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import requests

V1 = "application/vnd.schemaregistry.v1+json"


def record(*fields: dict[str, Any]) -> str:
    return json.dumps({"type": "record", "name": "R", "namespace": "rules", "fields": list(fields)})


def call(method: str, url: str, body: object = None, **headers: str) -> requests.Response:
    data = None if body is None else json.dumps(body)
    sent = {"Content-Type": V1, **headers} if data is not None else dict(headers)
    return requests.request(method, url, data=data, headers=sent, timeout=30)


def error(response: requests.Response) -> tuple[int, int]:
    body = response.json()
    assert set(body) == {"error_code", "message"}, body
    return response.status_code, body["error_code"]


def test_media_types(registry_url: str, subject: str) -> None:
    schema = {"schema": record({"name": "a", "type": "int"})}
    for content_type in (V1, "application/vnd.schemaregistry+json", "application/json"):
        response = call("POST", f"{registry_url}/subjects/{subject}/versions", schema)
        response = requests.post(
            f"{registry_url}/subjects/{subject}/versions",
            data=json.dumps(schema),
            headers={"Content-Type": content_type},
            timeout=30,
        )
        assert response.status_code == 200
        assert response.headers["Content-Type"] == V1
    refused = requests.post(
        f"{registry_url}/subjects/{subject}/versions",
        data=json.dumps(schema),
        headers={"Content-Type": "text/plain"},
        timeout=30,
    )
    assert error(refused) == (415, 415)
    unacceptable = requests.get(
        f"{registry_url}/subjects", headers={"Accept": "text/html"}, timeout=30
    )
    assert error(unacceptable) == (406, 406)
    plain = requests.get(
        f"{registry_url}/subjects", headers={"Accept": "application/json"}, timeout=30
    )
    assert plain.headers["Content-Type"] == "application/json"
    # What Java's HTTP client sends when its caller sets no Accept: Jersey reads "*" and
    # "q=.2", and answers with its preferred type.
    java = requests.get(
        f"{registry_url}/subjects",
        headers={"Accept": "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"},
        timeout=30,
    )
    assert java.status_code == 200
    assert java.headers["Content-Type"] == V1
    assert error(requests.get(f"{registry_url}/no/such/route", timeout=30)) == (404, 404)
    broken = requests.post(
        f"{registry_url}/subjects/{subject}/versions",
        data="{not json",
        headers={"Content-Type": V1},
        timeout=30,
    )
    assert error(broken) == (400, 400)


def test_versions_latest_and_invalid(registry_url: str, subject: str) -> None:
    call("POST", f"{registry_url}/subjects/{subject}/versions", {"schema": '"string"'})
    for version in ("latest", "-1", "1"):
        response = call("GET", f"{registry_url}/subjects/{subject}/versions/{version}")
        assert response.json()["version"] == 1
    for version in ("0", "-2", "first", "2147483648"):
        response = call("GET", f"{registry_url}/subjects/{subject}/versions/{version}")
        assert error(response) == (422, 42202), version
    raw = call("GET", f"{registry_url}/subjects/{subject}/versions/1/schema")
    assert raw.text == '"string"'


def test_verbose_check_names_the_field_and_honours_transitive_levels(
    registry_url: str, subject: str
) -> None:
    versions = f"{registry_url}/subjects/{subject}/versions"
    call("PUT", f"{registry_url}/config/{subject}", {"compatibility": "BACKWARD_TRANSITIVE"})
    # v1 has `amount` as a string, v2 drops it, v3 brings it back as an int with a default:
    # fine against v2, but it cannot read v1's strings.
    assert call(
        "POST",
        versions,
        {"schema": record({"name": "amount", "type": "string"}, {"name": "id", "type": "long"})},
    ).ok
    assert call("POST", versions, {"schema": record({"name": "id", "type": "long"})}).ok
    third = record({"name": "id", "type": "long"}, {"name": "amount", "type": "int", "default": 0})
    latest_only = call(
        "POST",
        f"{registry_url}/compatibility/subjects/{subject}/versions/latest?verbose=true",
        {"schema": third},
    )
    assert latest_only.json() == {"is_compatible": True, "messages": []}
    every = call(
        "POST",
        f"{registry_url}/compatibility/subjects/{subject}/versions?verbose=True",
        {"schema": third},
    )
    assert every.json()["is_compatible"] is False
    joined = " ".join(every.json()["messages"])
    assert "/fields/1/type" in joined
    assert "{oldSchemaVersion: 1}" in joined
    refused = call("POST", versions, {"schema": third})
    assert error(refused) == (409, 409)
    assert "/fields/1/type" in refused.json()["message"]


def test_read_only_mode_refuses_writes(registry_url: str, subject: str) -> None:
    versions = f"{registry_url}/subjects/{subject}/versions"
    first = record({"name": "a", "type": "int"})
    assert call("POST", versions, {"schema": first}).ok
    assert call("PUT", f"{registry_url}/mode/{subject}", {"mode": "READONLY"}).json() == {
        "mode": "READONLY"
    }
    second = record({"name": "a", "type": "int"}, {"name": "b", "type": "int", "default": 1})
    assert error(call("POST", versions, {"schema": second})) == (422, 42205)
    assert error(call("DELETE", f"{registry_url}/subjects/{subject}")) == (422, 42205)
    # Registering what is already there is still answered, as in Confluent.
    assert call("POST", versions, {"schema": first}).json()["version"] == 1
    assert call("GET", f"{registry_url}/mode/{subject}").json() == {"mode": "READONLY"}
    assert error(call("PUT", f"{registry_url}/mode/{subject}", {"mode": "SIDEWAYS"})) == (
        422,
        42204,
    )
    call("DELETE", f"{registry_url}/mode/{subject}")
    assert call("POST", versions, {"schema": second}).ok


def test_import_mode_keeps_given_ids_and_versions(registry_url: str, subject: str) -> None:
    assert call("PUT", f"{registry_url}/mode/{subject}", {"mode": "IMPORT"}).ok
    versions = f"{registry_url}/subjects/{subject}/versions"
    imported = {
        "schema": record({"name": "z", "type": "long"}),
        "id": 900_000 + len(subject),
        "version": 5,
    }
    answer = call("POST", versions, imported)
    assert answer.ok, answer.text
    assert (answer.json()["id"], answer.json()["version"]) == (imported["id"], 5)
    missing_id = {"schema": record({"name": "y", "type": "long"})}
    assert error(call("POST", versions, missing_id)) == (422, 42205)
    clash = {"schema": record({"name": "w", "type": "long"}), "id": imported["id"]}
    assert error(call("POST", versions, clash)) == (422, 42205)
    call("DELETE", f"{registry_url}/mode/{subject}")
    with_id = {"schema": record({"name": "v", "type": "long"}), "id": 12345}
    assert error(call("POST", versions, with_id)) == (422, 42205)


def test_new_client_fields_are_kept(registry_url: str, subject: str) -> None:
    body = {
        "schema": record({"name": "a", "type": "int"}),
        "metadata": {"properties": {"owner": "analytics"}},
        "ruleSet": {"domainRules": []},
    }
    registered = call("POST", f"{registry_url}/subjects/{subject}/versions", body)
    assert registered.ok, registered.text
    fetched = call("GET", f"{registry_url}/schemas/ids/{registered.json()['id']}").json()
    assert fetched["metadata"] == body["metadata"]
    assert fetched["ruleSet"] == body["ruleSet"]


def test_a_subject_may_hold_slashes_and_odd_characters(registry_url: str, subject: str) -> None:
    odd = f"{subject}/with/slashes"
    encoded = quote(odd, safe="")
    schema = {"schema": record({"name": "a", "type": "int"})}
    assert call("POST", f"{registry_url}/subjects/{encoded}/versions", schema).ok
    assert odd in call("GET", f"{registry_url}/subjects").json()
    version = call("GET", f"{registry_url}/subjects/{encoded}/versions/1").json()
    assert version["subject"] == odd
    # "…/versions" inside a subject name is a lookup of that subject, not a registration.
    lookup = call(
        "POST",
        f"{registry_url}/subjects/{quote(subject + '/versions', safe='')}",
        schema,
    )
    assert error(lookup) == (404, 40401)
    for name in ("a\x00b", "a\nb"):
        quoted = quote(name, safe="")
        assert error(call("GET", f"{registry_url}/subjects/{quoted}/versions")) == (404, 40401)
        put = call("PUT", f"{registry_url}/config/{quoted}", {"compatibility": "NONE"})
        assert error(put) == (422, 42208)


def test_an_unpaired_surrogate_is_refused(registry_url: str, subject: str) -> None:
    schema_text = '{"type": "record", "name": "A", "doc": "\\ud800", "fields": []}'
    in_schema = requests.post(
        f"{registry_url}/subjects/{subject}/versions",
        data=json.dumps({"schema": schema_text}),
        headers={"Content-Type": V1},
        timeout=30,
    )
    assert error(in_schema) == (422, 42201)
    in_body = requests.post(
        f"{registry_url}/subjects/{subject}/versions",
        data='{"schema": "\\"string\\"", "metadata": {"properties": {"k": "\\ud800"}}}',
        headers={"Content-Type": V1},
        timeout=30,
    )
    assert error(in_body) == (400, 400)
