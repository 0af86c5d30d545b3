"""JSON Schema compatibility as Confluent's checker decides it.

json_schema_cases.json holds schema pairs, each naming where Confluent states the rule (a
case of its own test resources, a test method, or its SchemaDiff rules), with the
differences Confluent lists (type and path) and its STRICT verdict: the BACKWARD view, the
old schema as original and the new one as update. The level tests run three versions
through check_compatibility, as a registration does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contract.compatibility import CompatibilityLevel, ExistingSchema
from registry.schema import ParsedSchema
from registry.schema_types import check_compatibility
from registry.schema_types.avro import parse_avro
from registry.schema_types.json_schema import parse_json_schema
from registry.schema_types.json_schema_diff import differences, is_compatible
from tests.unit.registry.versions import verdict_over

CASES = json.loads((Path(__file__).parent / "json_schema_cases.json").read_text())
Level = CompatibilityLevel


def parsed(schema: Any) -> ParsedSchema:
    return parse_json_schema(json.dumps(schema))


@pytest.mark.parametrize("case", CASES, ids=[case["source"] for case in CASES])
def test_confluent_case(case: dict[str, Any]) -> None:
    found = differences(parsed(case["original"]).model, parsed(case["update"]).model)
    assert sorted(f"{d.type} {d.path}" for d in found) == sorted(case["differences"])
    assert is_compatible(found) is case["compatible"]


def test_the_table_has_forty_cases_each_with_a_source() -> None:
    assert len(CASES) >= 40
    assert all(case["source"].startswith("Confluent") for case in CASES)


def closed(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


# Each version reads its predecessor's data, but v3 (b required, no default) cannot read
# v1's (no b at all): only the transitive level sees it.
BACKWARD_CHAIN = [
    closed({"a": {"type": "string"}}),
    closed({"a": {"type": "string"}, "b": {"type": "integer", "default": 0}}, ("b",)),
    closed({"a": {"type": "string"}, "b": {"type": "integer"}}, ("b",)),
]
# Kafka Connect's bytes marker lets a decimal change its JSON type; v3 drops the marker.
MUTUAL_CHAIN = [
    {"type": "string", "connect.type": "bytes"},
    {"type": "number", "connect.type": "bytes"},
    {"type": "number"},
]


def verdict(chain: list[Any], level: Level) -> list[str]:
    return verdict_over([parsed(schema) for schema in chain], level)


@pytest.mark.parametrize(
    ("chain", "level", "compatible"),
    [
        (BACKWARD_CHAIN, Level.BACKWARD, True),
        (BACKWARD_CHAIN, Level.BACKWARD_TRANSITIVE, False),
        (list(reversed(BACKWARD_CHAIN)), Level.FORWARD, True),
        (list(reversed(BACKWARD_CHAIN)), Level.FORWARD_TRANSITIVE, False),
        (MUTUAL_CHAIN, Level.FULL, True),
        (MUTUAL_CHAIN, Level.FULL_TRANSITIVE, False),
        (BACKWARD_CHAIN[:2], Level.FULL, False),
        (BACKWARD_CHAIN, Level.NONE, True),
    ],
)
def test_levels_over_three_versions(chain: list[Any], level: Level, compatible: bool) -> None:
    assert (verdict(chain, level) == []) is compatible


def test_a_refusal_names_the_path_the_old_version_and_the_level() -> None:
    messages = verdict(BACKWARD_CHAIN, Level.BACKWARD_TRANSITIVE)
    assert messages[0] == (
        '{errorType:"REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", description:"The new '
        "schema has an unopen content model and has a required property at path "
        "'#/properties/b' which is missing in the old schema'}"
    )
    assert messages[1] == "{oldSchemaVersion: 1}"
    assert messages[-1] == "{validateFields: 'false', compatibility: 'BACKWARD_TRANSITIVE'}"


def test_forward_words_the_schemas_the_other_way() -> None:
    old = closed({"a": {"type": "string"}})
    new = closed({"a": {"type": "string"}, "b": {"type": "string"}})
    assert verdict([old, new], Level.FORWARD)[0] == (
        '{errorType:"PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", description:"The old has a '
        "closed content model and is missing a property or item present at path "
        "'#/properties/b' in the new schema'}"
    )


def test_a_version_of_another_type_is_never_compatible() -> None:
    avro = parse_avro('{"type": "record", "name": "R", "fields": []}')
    result = check_compatibility(
        parsed({"type": "object"}), [ExistingSchema(1, avro, avro.canonical)], Level.BACKWARD
    )
    assert result.messages()[0] == "Incompatible because of different schema type"
