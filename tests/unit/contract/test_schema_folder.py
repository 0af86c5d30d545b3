"""Reading the schemas folder, and `check --offline` and `hash-password` through click."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from werkzeug.security import check_password_hash

from contract.compatibility import CompatibilityLevel
from contract.schema_folder import SchemaFolderError, read_schemas_dir, read_subject
from registry.cli import main

SUBJECT = "users-value"


def record(*fields: dict[str, Any]) -> dict[str, Any]:
    return {"type": "record", "name": "UserCreated", "namespace": "test", "fields": list(fields)}


USER_ID = {"name": "user_id", "type": "long"}
AMOUNT = {"name": "amount", "type": "long"}
V1 = record(USER_ID, AMOUNT)
# Adds a field with a default: BACKWARD and FORWARD compatible.
V2 = record(USER_ID, AMOUNT, {"name": "country", "type": "string", "default": "BE"})


def write_subject(root: Path, subject: str, schemas: list[Any], level: str | None = None) -> Path:
    """A subject folder with ``1.avsc``… holding ``schemas`` (strings are written as is)."""
    folder = root / subject
    folder.mkdir(parents=True)
    for number, schema in enumerate(schemas, start=1):
        text = schema if isinstance(schema, str) else json.dumps(schema)
        (folder / f"{number}.avsc").write_text(text)
    if level is not None:
        (folder / "compatibility.txt").write_text(f"{level}\n")
    return folder


def check_offline(root: Path) -> Result:
    return CliRunner().invoke(main, ["check", "--schemas-dir", str(root), "--offline"])


def test_reads_subjects_sorted_with_files_in_numeric_order(tmp_path: Path) -> None:
    # 10.avsc sorts before 2.avsc as text; the version numbers decide the order.
    folder = write_subject(tmp_path, "b-value", [V1] * 10, level="full_transitive")
    write_subject(tmp_path, "a-value", [V1])
    (tmp_path / "README.md").write_text("not a subject")
    (tmp_path / ".hidden").mkdir()

    subjects = read_schemas_dir(tmp_path)

    assert [s.subject for s in subjects] == ["a-value", "b-value"]
    first, second = subjects
    assert first.level is None
    assert second.level is CompatibilityLevel.FULL_TRANSITIVE
    assert [f.number for f in second.files] == list(range(1, 11))
    assert second.files[-1].path == folder / "10.avsc"
    assert second.newest == second.files[-1]
    assert [f.number for f in second.earlier] == list(range(1, 10))
    assert json.loads(second.files[0].text) == V1


@pytest.mark.parametrize(
    ("name", "message"),
    [("v1.avsc", "version number"), ("0.avsc", "version number"), ("01.avsc", "also")],
)
def test_a_file_name_that_is_not_a_version_number_is_refused(
    tmp_path: Path, name: str, message: str
) -> None:
    folder = write_subject(tmp_path, SUBJECT, [V1])
    (folder / name).write_text(json.dumps(V1))
    with pytest.raises(SchemaFolderError, match=message) as caught:
        read_subject(folder)
    assert name in str(caught.value)


def test_an_unknown_level_is_refused_naming_the_file(tmp_path: Path) -> None:
    write_subject(tmp_path, SUBJECT, [V1], level="SIDEWAYS")
    result = check_offline(tmp_path)
    assert result.exit_code == 1
    assert "compatibility.txt" in result.output
    assert "SIDEWAYS" in result.output


def test_compatible_newest_file_exits_0(tmp_path: Path) -> None:
    write_subject(tmp_path, SUBJECT, [V1, V2])
    result = check_offline(tmp_path)
    assert result.exit_code == 0, result.output
    assert f"{SUBJECT} 2.avsc: compatible with folder version 1 under BACKWARD" in result.output


def test_a_narrowed_type_under_backward_exits_1_naming_field_and_path(tmp_path: Path) -> None:
    narrowed = record(USER_ID, {"name": "amount", "type": "int"})
    write_subject(tmp_path, SUBJECT, [V1, V2, narrowed], level="BACKWARD")
    result = check_offline(tmp_path)
    assert result.exit_code == 1, result.output
    [line] = [line for line in result.output.splitlines() if "INCOMPATIBLE" in line]
    assert line.startswith(f"{SUBJECT} 3.avsc: INCOMPATIBLE with folder version 2 under BACKWARD")
    assert "TYPE_MISMATCH at /fields/1/type" in line
    assert "field UserCreated.amount" in line


def test_a_removed_field_without_default_under_forward_exits_1(tmp_path: Path) -> None:
    # The old schema (v2) reads new data: "amount" is gone and has no default in v2.
    removed = record(USER_ID, {"name": "country", "type": "string", "default": "BE"})
    write_subject(tmp_path, SUBJECT, [V1, V2, removed], level="FORWARD")
    result = check_offline(tmp_path)
    assert result.exit_code == 1, result.output
    assert "READER_FIELD_MISSING_DEFAULT_VALUE at /fields/1" in result.output
    assert "field UserCreated.amount" in result.output
    assert "with folder version 2 under FORWARD" in result.output


@pytest.mark.parametrize(
    ("level", "exit_code", "line"),
    [
        ("BACKWARD", 0, "3.avsc: compatible with folder version 2 under BACKWARD"),
        ("BACKWARD_TRANSITIVE", 1, "3.avsc: INCOMPATIBLE with folder version 1 under"),
    ],
)
def test_a_transitive_level_compares_with_every_earlier_file(
    tmp_path: Path, level: str, exit_code: int, line: str
) -> None:
    # v3 takes back the default of "country": v3 reads v2 data, but not v1 data (no country).
    country = {"name": "country", "type": "string"}
    history = [
        record(USER_ID),
        record(USER_ID, {**country, "default": "BE"}),
        record(USER_ID, country),
    ]
    write_subject(tmp_path, SUBJECT, history, level=level)
    result = check_offline(tmp_path)
    assert result.exit_code == exit_code, result.output
    assert f"{SUBJECT} {line}" in result.output


def test_invalid_json_exits_1_naming_the_file(tmp_path: Path) -> None:
    write_subject(tmp_path, "good-value", [V1, V2])
    folder = write_subject(tmp_path, SUBJECT, [V1, '{"type": "record",'])
    result = check_offline(tmp_path)
    assert result.exit_code == 1
    assert f"INVALID schema in {folder / '2.avsc'}" in result.output
    assert "Invalid schema of type AVRO" in result.output
    # The other subject is still checked.
    assert "good-value 2.avsc: compatible" in result.output


def test_invalid_avro_exits_1_naming_the_file(tmp_path: Path) -> None:
    folder = write_subject(tmp_path, SUBJECT, [record({"name": "id", "type": "varchar"})])
    result = check_offline(tmp_path)
    assert result.exit_code == 1
    assert f"INVALID schema in {folder / '1.avsc'}" in result.output
    assert "varchar" in result.output


def test_hash_password_from_stdin() -> None:
    result = CliRunner().invoke(main, ["hash-password", "--password-stdin"], input="s3cret\n")
    assert result.exit_code == 0, result.output
    assert check_password_hash(result.output.strip(), "s3cret")


def test_hash_password_prompts_twice() -> None:
    result = CliRunner().invoke(main, ["hash-password"], input="s3cret\ns3cret\n")
    assert result.exit_code == 0, result.output
    assert check_password_hash(result.output.strip().splitlines()[-1], "s3cret")


def test_json_files_are_json_schemas_checked_by_their_rules(tmp_path: Path) -> None:
    folder = tmp_path / "orders-value"
    folder.mkdir()
    closed = {"type": "object", "properties": {"id": {"type": "integer"}}}
    (folder / "1.json").write_text(json.dumps({**closed, "additionalProperties": False}))
    (folder / "2.json").write_text(json.dumps(closed))
    read = read_subject(folder)
    assert [file.schema_type for file in read.files] == ["JSON", "JSON"]
    result = CliRunner().invoke(main, ["check", "--offline", "--schemas-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "orders-value 2.json: compatible with folder version 1 under BACKWARD" in result.output
    (folder / "3.json").write_text(json.dumps({**closed, "required": ["id"]}))
    result = CliRunner().invoke(main, ["check", "--offline", "--schemas-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "REQUIRED_ATTRIBUTE_ADDED at #/required/id (new cannot read old)" in result.output


def test_one_subject_holds_one_schema_type(tmp_path: Path) -> None:
    folder = write_subject(tmp_path, SUBJECT, [V1])
    (folder / "2.json").write_text('{"type": "object"}')
    with pytest.raises(SchemaFolderError, match="files of two schema types"):
        read_subject(folder)
