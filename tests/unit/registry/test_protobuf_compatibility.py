"""Protobuf compatibility as Confluent's checker decides it.

protobuf_cases.json holds Confluent's own table of schema pairs (protobuf-provider's
diff-schema-examples.json at master 794611bd, each case naming its place there), with the
differences Confluent lists in its order (type and path) and its verdict: the BACKWARD
view, the old schema as original and the new one as update. The level tests run three
versions through check_compatibility, as a registration does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contract.compatibility import CompatibilityLevel, ExistingSchema
from registry.schema import ParsedSchema, ParseOptions, ResolvedReference, SchemaReference
from registry.schema_types import check_compatibility
from registry.schema_types.json_schema import parse_json_schema
from registry.schema_types.protobuf import parse_protobuf
from registry.schema_types.protobuf_diff import differences
from registry.schema_types.protobuf_rules import COMPATIBLE
from tests.unit.registry.versions import verdict_over

CASES = json.loads((Path(__file__).parent / "protobuf_cases.json").read_text())
Level = CompatibilityLevel


def parsed(text: str, references: list[dict[str, Any]] | None = None) -> ParsedSchema:
    resolved = [
        ResolvedReference(
            SchemaReference(reference["name"], reference["subject"], reference["version"]),
            reference["schema"],
        )
        for reference in references or []
    ]
    return parse_protobuf(text, ParseOptions(references=resolved))


@pytest.mark.parametrize("case", CASES, ids=[case["source"] for case in CASES])
def test_confluent_case(case: dict[str, Any]) -> None:
    original = parsed(case["original"], case.get("original_references"))
    update = parsed(case["update"], case.get("update_references"))
    found = differences(original.model, update.model)
    assert [f"{d.type} {d.path}" for d in found] == case["differences"]
    assert all(d.type in COMPATIBLE for d in found) is case["compatible"]


def test_the_table_has_forty_cases_each_with_a_source() -> None:
    assert len(CASES) >= 40
    assert all(case["source"].startswith("Confluent") for case in CASES)


def message(*fields: str, syntax: str = "proto2") -> str:
    body = "".join(f"  {field}\n" for field in fields)
    return f'syntax = "{syntax}";\npackage shop;\n\nmessage Order {{\n{body}}}\n'


# Each version reads its predecessor's data, but v3 gives number 2, which v2 dropped, back
# to a field of another kind: only the transitive level sees v1's data misread.
BACKWARD_CHAIN = [
    message("optional int64 id = 1;", "optional int32 quantity = 2;"),
    message("optional int64 id = 1;"),
    message("optional int64 id = 1;", "optional string quantity = 2;"),
]
# int32 → int64 → sint64: the last changes the wire encoding of what the first two wrote.
MUTUAL_CHAIN = [
    message("int32 amount = 1;", syntax="proto3"),
    message("int64 amount = 1;", syntax="proto3"),
    message("sint64 amount = 1;", syntax="proto3"),
]
# A new message type: compatible backward, and FORWARD sees the old schema miss it.
GROWING = [
    message("optional int64 id = 1;"),
    message("optional int64 id = 1;") + "message Refund {\n  optional int64 id = 1;\n}\n",
]


def verdict(chain: list[str], level: Level) -> list[str]:
    return verdict_over([parsed(text) for text in chain], level)


@pytest.mark.parametrize(
    ("chain", "level", "compatible"),
    [
        (BACKWARD_CHAIN[1:], Level.BACKWARD, True),
        (BACKWARD_CHAIN, Level.BACKWARD_TRANSITIVE, False),
        (BACKWARD_CHAIN[:2], Level.BACKWARD, True),
        (BACKWARD_CHAIN[::2], Level.BACKWARD, False),
        (GROWING, Level.BACKWARD, True),
        (GROWING, Level.FORWARD, False),
        (list(reversed(GROWING)), Level.FORWARD, True),
        (list(reversed(GROWING)), Level.FORWARD_TRANSITIVE, True),
        (MUTUAL_CHAIN[:2], Level.FULL, True),
        (MUTUAL_CHAIN, Level.FULL, False),
        (MUTUAL_CHAIN[:2] + MUTUAL_CHAIN[1:2], Level.FULL_TRANSITIVE, True),
        (MUTUAL_CHAIN, Level.FULL_TRANSITIVE, False),
        (MUTUAL_CHAIN, Level.NONE, True),
    ],
)
def test_levels_over_three_versions(chain: list[str], level: Level, compatible: bool) -> None:
    assert (verdict(chain, level) == []) is compatible


def test_only_the_transitive_level_sees_the_first_version() -> None:
    assert verdict(BACKWARD_CHAIN, Level.BACKWARD) == []
    messages = verdict(BACKWARD_CHAIN, Level.BACKWARD_TRANSITIVE)
    assert messages[0] == (
        '{errorType:"FIELD_SCALAR_KIND_CHANGED", description:"The kind of a SCALAR field at '
        "path '#/Order/2' in the new schema does not match its kind in the old schema\"}"
    )
    assert messages[1] == "{oldSchemaVersion: 1}"
    assert messages[-1] == "{validateFields: 'false', compatibility: 'BACKWARD_TRANSITIVE'}"


def test_forward_words_the_schemas_the_other_way() -> None:
    assert verdict(GROWING, Level.FORWARD)[0] == (
        '{errorType:"MESSAGE_REMOVED", description:"The old schema is missing a MESSAGE type '
        "at path '#/Refund' in the new schema\"}"
    )


def test_full_reports_the_forward_view_first() -> None:
    messages = verdict(MUTUAL_CHAIN[1:], Level.FULL)
    assert messages[:2] == [
        '{errorType:"FIELD_SCALAR_KIND_CHANGED", description:"The kind of a SCALAR field at '
        "path '#/Order/1' in the old schema does not match its kind in the new schema\"}",
        '{errorType:"FIELD_SCALAR_KIND_CHANGED", description:"The kind of a SCALAR field at '
        "path '#/Order/1' in the new schema does not match its kind in the old schema\"}",
    ]


def test_a_version_of_another_type_is_never_compatible() -> None:
    json_schema = parse_json_schema('{"type": "object"}')
    result = check_compatibility(
        parsed(MUTUAL_CHAIN[0]),
        [ExistingSchema(1, json_schema, json_schema.canonical)],
        Level.BACKWARD,
    )
    assert result.messages()[0] == "Incompatible because of different schema type"
