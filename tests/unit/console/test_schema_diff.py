"""The structural diff of two schema versions names each change by its field path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from console.schema_diff import ChangeKind, FieldChange, describe, diff_schemas

SCHEMAS = Path(__file__).parents[3] / "schemas" / "user-events-value"


def _record(*fields: dict[str, Any], name: str = "User") -> dict[str, Any]:
    return {"type": "record", "name": name, "namespace": "test", "fields": list(fields)}


def test_the_platforms_own_history_shows_the_field_added_with_its_default() -> None:
    changes = diff_schemas((SCHEMAS / "1.avsc").read_text(), (SCHEMAS / "2.avsc").read_text())
    assert changes == [
        FieldChange("signup_channel", ChangeKind.ADDED, None, 'string = "api"'),
    ]


def test_the_same_schema_has_no_changes() -> None:
    text = (SCHEMAS / "2.avsc").read_text()
    assert diff_schemas(text, text) == []


def test_removed_fields_and_changed_types_and_defaults() -> None:
    before = _record(
        {"name": "a", "type": "int"},
        {"name": "b", "type": "string", "default": "x"},
        {"name": "gone", "type": "long"},
    )
    after = _record(
        {"name": "a", "type": "long"},
        {"name": "b", "type": "string", "default": "y"},
    )
    assert diff_schemas(before, after) == [
        FieldChange("a", ChangeKind.TYPE, "int", "long"),
        FieldChange("b", ChangeKind.DEFAULT, '"x"', '"y"'),
        FieldChange("gone", ChangeKind.REMOVED, "long", None),
    ]


def test_a_nested_record_is_walked_by_path() -> None:
    address = {"type": "record", "name": "Address", "fields": [{"name": "city", "type": "string"}]}
    moved = {
        "type": "record",
        "name": "Address",
        "fields": [
            {"name": "city", "type": "string"},
            {"name": "zip", "type": ["null", "string"], "default": None},
        ],
    }
    before = _record({"name": "address", "type": address})
    after = _record({"name": "address", "type": moved})
    assert diff_schemas(before, after) == [
        FieldChange("address.zip", ChangeKind.ADDED, None, "null | string = null"),
    ]


def test_a_record_referenced_by_name_is_compared_as_its_definition() -> None:
    point = {"type": "record", "name": "Point", "fields": [{"name": "x", "type": "int"}]}
    wider = {"type": "record", "name": "Point", "fields": [{"name": "x", "type": "long"}]}
    before = _record({"name": "start", "type": point}, {"name": "end", "type": "test.Point"})
    after = _record({"name": "start", "type": wider}, {"name": "end", "type": "Point"})
    assert diff_schemas(before, after) == [
        FieldChange("start.x", ChangeKind.TYPE, "int", "long"),
        FieldChange("end.x", ChangeKind.TYPE, "int", "long"),
    ]


def test_union_branches_and_records_inside_them() -> None:
    email = {"type": "record", "name": "Email", "fields": [{"name": "address", "type": "string"}]}
    email2 = {
        "type": "record",
        "name": "Email",
        "fields": [
            {"name": "address", "type": "string"},
            {"name": "verified", "type": "boolean", "default": False},
        ],
    }
    before = _record({"name": "contact", "type": ["null", email]})
    after = _record({"name": "contact", "type": ["null", email2, "string"]})
    assert diff_schemas(before, after) == [
        FieldChange(
            "contact",
            ChangeKind.TYPE,
            "null | record Email",
            "null | record Email | string",
        ),
        FieldChange("contact[Email].verified", ChangeKind.ADDED, None, "boolean = false"),
    ]


def test_arrays_maps_enums_and_logical_types() -> None:
    before = _record(
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "scores", "type": {"type": "map", "values": "int"}},
        {"name": "color", "type": {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"]}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    )
    after = _record(
        {"name": "tags", "type": {"type": "array", "items": "bytes"}},
        {"name": "scores", "type": {"type": "map", "values": "long"}},
        {
            "name": "color",
            "type": {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN", "BLUE"]},
        },
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-micros"}},
    )
    assert diff_schemas(json.dumps(before), json.dumps(after)) == [
        FieldChange("tags[]", ChangeKind.TYPE, "string", "bytes"),
        FieldChange("scores{}", ChangeKind.TYPE, "int", "long"),
        FieldChange("color", ChangeKind.SYMBOLS, "RED, GREEN", "RED, GREEN, BLUE"),
        FieldChange("at", ChangeKind.TYPE, "long (timestamp-millis)", "long (timestamp-micros)"),
    ]


def test_a_recursive_record_ends_the_walk() -> None:
    node = _record(
        {"name": "value", "type": "int"},
        {"name": "next", "type": ["null", "test.Node"], "default": None},
        name="Node",
    )
    grown = _record(
        {"name": "value", "type": "long"},
        {"name": "next", "type": ["null", "test.Node"], "default": None},
        name="Node",
    )
    assert diff_schemas(node, grown) == [FieldChange("value", ChangeKind.TYPE, "int", "long")]


def test_a_primitive_written_as_an_object_is_the_primitive() -> None:
    assert (
        diff_schemas(
            _record({"name": "a", "type": {"type": "string"}}),
            _record({"name": "a", "type": "string"}),
        )
        == []
    )
    assert describe({"type": "string"}) == "string"
