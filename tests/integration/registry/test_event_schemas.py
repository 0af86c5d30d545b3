"""The platform's own event contract: its history is sound, and a breaking edit is caught."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from tests.conftest import REPO_ROOT

SUBJECT_DIR = REPO_ROOT / "schemas" / "user-events-value"


def _latest() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((SUBJECT_DIR / "2.avsc").read_text())
    return document


def _without(field: str) -> dict[str, Any]:
    latest = _latest()
    return {**latest, "fields": [f for f in latest["fields"] if f["name"] != field]}


def _narrowed(field: str, to: str) -> dict[str, Any]:
    latest = _latest()
    return {
        **latest,
        "fields": [{**f, "type": to} if f["name"] == field else f for f in latest["fields"]],
    }


BREAKING_EDITS = {
    "field removed without default": (_without("is_a_dog"), "is_a_dog"),
    "type narrowed long to int": (_narrowed("user_id", "int"), "user_id"),
}


def _copy_with_third_version(tmp_path: Path, subject: str, third: dict[str, Any]) -> Path:
    schemas = tmp_path / "schemas"
    shutil.copytree(SUBJECT_DIR, schemas / subject)
    (schemas / subject / "3.avsc").write_text(json.dumps(third, indent=2))
    return schemas


@pytest.mark.parametrize("edit", sorted(BREAKING_EDITS))
def test_make_check_schemas_refuses_a_breaking_third_version(
    edit: str, registry_url: str, subject: str, tmp_path: Path
) -> None:
    third, field = BREAKING_EDITS[edit]
    schemas = _copy_with_third_version(tmp_path, subject, third)
    registered = subprocess.run(
        [
            "make",
            "-s",
            "register-schemas",
            f"SCHEMAS_DIR={schemas}",
            f"REGISTRY_URL={registry_url}",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    # Versions 1 and 2 register; the third is refused by the registry itself (409).
    assert registered.returncode != 0
    assert "409" in registered.stdout + registered.stderr

    checked = subprocess.run(
        ["make", "-s", "check-schemas", f"SCHEMAS_DIR={schemas}", f"REGISTRY_URL={registry_url}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode != 0
    output = checked.stdout + checked.stderr
    assert f"UserCreated.{field}" in output
    assert "/fields/" in output


@pytest.mark.parametrize("edit", sorted(BREAKING_EDITS))
def test_registry_refuses_a_breaking_third_version_with_its_path(
    edit: str, registry_url: str, subject: str
) -> None:
    third, field = BREAKING_EDITS[edit]
    client = SchemaRegistryClient({"url": registry_url})
    try:
        client.set_compatibility(subject, (SUBJECT_DIR / "compatibility.txt").read_text().strip())
        for number in (1, 2):
            text = (SUBJECT_DIR / f"{number}.avsc").read_text()
            client.register_schema(subject, Schema(text, "AVRO"))
        with pytest.raises(SchemaRegistryError) as caught:
            client.register_schema(subject, Schema(json.dumps(third), "AVRO"))
    finally:
        client.close()
    assert (caught.value.http_status_code, caught.value.error_code) == (409, 409)
    # Confluent's texts name a field by its path: in the new schema, or in the old if removed.
    holder = third if any(f["name"] == field for f in third["fields"]) else _latest()
    position = [f["name"] for f in holder["fields"]].index(field)
    assert f"'/fields/{position}" in caught.value.error_message
