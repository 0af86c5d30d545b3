"""`python -m registry.cli register` and `check` against the registry over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from registry.cli import main


def record(*fields: dict[str, Any]) -> dict[str, Any]:
    return {"type": "record", "name": "UserCreated", "namespace": "test", "fields": list(fields)}


USER_ID = {"name": "user_id", "type": "long"}
AMOUNT = {"name": "amount", "type": "long"}
V1 = record(USER_ID, AMOUNT)
V2 = record(USER_ID, AMOUNT, {"name": "country", "type": "string", "default": "BE"})
# "amount" narrowed long → int: the new schema cannot read what v2 wrote.
NARROWED = record(USER_ID, {"name": "amount", "type": "int"})


@pytest.fixture
def client(registry_url: str) -> Iterator[SchemaRegistryClient]:
    registry = SchemaRegistryClient({"url": registry_url})
    yield registry
    registry.close()


def write_subject(
    root: Path, subject: str, schemas: list[dict[str, Any]], level: str | None = None
) -> Path:
    folder = root / subject
    folder.mkdir(parents=True, exist_ok=True)
    for number, schema in enumerate(schemas, start=1):
        (folder / f"{number}.avsc").write_text(json.dumps(schema, indent=2))
    if level is not None:
        (folder / "compatibility.txt").write_text(f"{level}\n")
    return folder


def run(command: str, root: Path, registry_url: str) -> Result:
    return CliRunner().invoke(
        main, [command, "--schemas-dir", str(root), "--registry-url", registry_url]
    )


def table(output: str) -> dict[tuple[str, str], list[str]]:
    """The register table by (subject, file): [version, id, status]."""
    rows: dict[tuple[str, str], list[str]] = {}
    for line in output.splitlines():
        cells = line.split(maxsplit=4)
        if len(cells) == 5 and cells[1].endswith((".avsc", ".json", ".proto")):
            rows[(cells[0], cells[1])] = cells[2:]
    return rows


def test_register_twice_gives_the_same_ids_and_adds_nothing(
    tmp_path: Path, registry_url: str, subject: str, client: SchemaRegistryClient
) -> None:
    write_subject(tmp_path, subject, [V1, V2], level="FULL")

    first = run("register", tmp_path, registry_url)
    assert first.exit_code == 0, first.output
    second = run("register", tmp_path, registry_url)
    assert second.exit_code == 0, second.output

    before, after = table(first.output), table(second.output)
    assert [before[(subject, f)][0] for f in ("1.avsc", "2.avsc")] == ["1", "2"]
    assert {row[2] for row in before.values()} == {"new"}
    assert {row[2] for row in after.values()} == {"already registered"}
    assert [row[:2] for row in after.values()] == [row[:2] for row in before.values()]
    assert client.get_versions(subject) == [1, 2]
    assert client.get_version(subject, 2).schema_id == int(before[(subject, "2.avsc")][1])


def test_register_applies_compatibility_txt(
    tmp_path: Path, registry_url: str, subject: str, client: SchemaRegistryClient
) -> None:
    write_subject(tmp_path, subject, [V1], level="forward_transitive")
    result = run("register", tmp_path, registry_url)
    assert result.exit_code == 0, result.output
    assert client.get_compatibility(subject) == "FORWARD_TRANSITIVE"


def test_register_reports_an_incompatible_file_and_goes_on_with_other_subjects(
    tmp_path: Path, registry_url: str, subject: str, client: SchemaRegistryClient
) -> None:
    broken = write_subject(tmp_path, subject, [V1, V2, NARROWED], level="BACKWARD")
    other = f"{subject}-other"
    write_subject(tmp_path, other, [V1])

    result = run("register", tmp_path, registry_url)

    assert result.exit_code == 1
    rows = table(result.output)
    assert rows[(subject, "3.avsc")] == ["-", "-", "FAILED"]
    assert rows[(other, "1.avsc")][2] == "new"
    [error] = [line for line in result.output.splitlines() if line.startswith("ERROR")]
    assert f"{subject} {broken / '3.avsc'}" in error
    assert "incompatible" in error and "error_code 409" in error
    assert client.get_versions(subject) == [1, 2]


def test_register_reports_a_version_that_differs_from_the_file_name(
    tmp_path: Path, registry_url: str, subject: str, client: SchemaRegistryClient
) -> None:
    # Someone registered a schema by hand first: the folder's 1.avsc becomes version 2.
    client.register_schema(subject, Schema(json.dumps(record(USER_ID)), "AVRO"))
    write_subject(tmp_path, subject, [V2], level="NONE")

    result = run("register", tmp_path, registry_url)

    assert result.exit_code == 1
    assert table(result.output)[(subject, "1.avsc")][0] == "2"
    assert "MISMATCH: registry version 2" in result.output
    assert "holds this schema as version 2, not 1" in result.output


def test_check_fails_on_an_incompatible_newest_file_naming_the_field(
    tmp_path: Path, registry_url: str, subject: str
) -> None:
    write_subject(tmp_path, subject, [V1, V2], level="BACKWARD_TRANSITIVE")
    assert run("register", tmp_path, registry_url).exit_code == 0
    write_subject(tmp_path, subject, [V1, V2, NARROWED])

    result = run("check", tmp_path, registry_url)

    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if "INCOMPATIBLE" in line]
    head = f"{subject} 3.avsc: INCOMPATIBLE with"
    detail = "TYPE_MISMATCH at /fields/1/type, field UserCreated.amount"
    assert any(line.startswith(f"{head} folder version 2") and detail in line for line in lines)
    assert any(line.startswith(f"{head} registry version 2") and detail in line for line in lines)
    # The registry's own verdicts, latest and (the level being transitive) all versions.
    assert f"{head} registry version latest under BACKWARD_TRANSITIVE" in result.output
    assert f"{head} registry version all under BACKWARD_TRANSITIVE" in result.output


def test_check_passes_a_compatible_file_and_a_new_subject(
    tmp_path: Path, registry_url: str, subject: str
) -> None:
    write_subject(tmp_path, subject, [V1])
    assert run("register", tmp_path, registry_url).exit_code == 0
    write_subject(tmp_path, subject, [V1, V2])
    write_subject(tmp_path, f"{subject}-new", [V1])

    result = run("check", tmp_path, registry_url)

    assert result.exit_code == 0, result.output
    assert f"{subject} 2.avsc: compatible with registry version 1 under BACKWARD" in result.output
    assert f"{subject}-new 1.avsc: new subject" in result.output


def test_json_schema_files_register_and_check_against_the_registry(
    tmp_path: Path, registry_url: str, subject: str, client: SchemaRegistryClient
) -> None:
    folder = tmp_path / subject
    folder.mkdir()
    closed = {"type": "object", "properties": {"id": {"type": "integer"}}}
    (folder / "1.json").write_text(json.dumps({**closed, "additionalProperties": False}))
    (folder / "2.json").write_text(json.dumps(closed))
    registered = run("register", tmp_path, registry_url)
    assert registered.exit_code == 0, registered.output
    assert table(registered.output)[(subject, "2.json")][2] == "new"
    assert client.get_latest_version(subject).schema.schema_type == "JSON"
    (folder / "3.json").write_text(json.dumps({**closed, "required": ["id"]}))
    checked = run("check", tmp_path, registry_url)
    assert checked.exit_code == 1
    assert "INCOMPATIBLE with registry version 2 under BACKWARD: REQUIRED_ATTRIBUTE_ADDED" in (
        checked.output
    )
    assert "the registry itself says so" in checked.output


def test_protobuf_files_register_and_check_against_the_registry(
    tmp_path: Path, registry_url: str, subject: str, client: SchemaRegistryClient
) -> None:
    folder = tmp_path / subject
    folder.mkdir()
    order = (
        'syntax = "proto3";\nimport "google/protobuf/timestamp.proto";\nmessage Order {{\n{}}}\n'
    )
    (folder / "1.proto").write_text(order.format("  int64 id = 1;\n"))
    (folder / "2.proto").write_text(
        order.format("  int64 id = 1;\n  google.protobuf.Timestamp placed = 2;\n")
    )
    registered = run("register", tmp_path, registry_url)
    assert registered.exit_code == 0, registered.output
    assert table(registered.output)[(subject, "2.proto")][2] == "new"
    assert client.get_latest_version(subject).schema.schema_type == "PROTOBUF"
    (folder / "3.proto").write_text(order.format("  string id = 1;\n"))
    checked = run("check", tmp_path, registry_url)
    assert checked.exit_code == 1
    assert (
        "INCOMPATIBLE with registry version 2 under BACKWARD: FIELD_SCALAR_KIND_CHANGED"
        in checked.output
    )
