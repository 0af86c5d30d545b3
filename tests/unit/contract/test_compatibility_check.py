"""check() across versions, the Confluent message lines, and the details each reason carries."""

from __future__ import annotations

import json

import avro.schema
import pytest

from contract.compatibility import (
    AmbiguousFieldError,
    CompatibilityLevel,
    ExistingSchema,
    Incompatibility,
    can_read,
    check,
    reader_writer_incompatibilities,
)

Level = CompatibilityLevel


def user(*fields: dict[str, object]) -> dict[str, object]:
    return {"type": "record", "name": "User", "fields": list(fields)}


def field(name: str, type_: object, **extra: object) -> dict[str, object]:
    return {"name": name, "type": type_, **extra}


def parse(schema: object) -> avro.schema.Schema:
    return avro.schema.parse(json.dumps(schema))


def versions(*schemas: dict[str, object]) -> list[ExistingSchema]:
    """Registered versions 1..n, oldest first, each with its compact text."""
    return [
        ExistingSchema(version=n, schema=parse(s), text=json.dumps(s, separators=(",", ":")))
        for n, s in enumerate(schemas, start=1)
    ]


ID = field("id", "long")


def test_backward_checks_the_latest_only_and_backward_transitive_every_version() -> None:
    # v2 drops `a`; v3 brings it back as an int with a default: v3 reads v2, not v1's string.
    history = versions(
        user(ID, field("a", "string")),
        user(ID),
    )
    new = parse(user(ID, field("a", "int", default=0)))

    assert check(new, history, Level.BACKWARD).is_compatible
    result = check(new, history, Level.BACKWARD_TRANSITIVE)

    assert not result.is_compatible
    [verdict] = result.verdicts
    assert verdict.version == 1
    [found] = verdict.incompatibilities
    assert (found.kind, found.path, found.field_path) == (
        "TYPE_MISMATCH",
        "/fields/1/type",
        "User.a",
    )
    assert found.direction == "backward"
    assert found.detail == "reader type: INT not compatible with writer type: STRING"


FORWARD_HISTORY = (
    user(ID, field("a", "int")),
    user(ID, field("a", "int", default=0)),
)


def test_forward_checks_the_latest_only_and_forward_transitive_every_version() -> None:
    # Dropping `a` is fine for v2 (it has a default) but v1 still needs it.
    history = versions(*FORWARD_HISTORY)
    new = parse(user(ID))

    assert check(new, history, Level.FORWARD).is_compatible
    result = check(new, history, Level.FORWARD_TRANSITIVE)

    assert not result.is_compatible
    [verdict] = result.verdicts
    assert verdict.version == 1
    [found] = verdict.incompatibilities
    assert (found.kind, found.path, found.direction) == (
        "READER_FIELD_MISSING_DEFAULT_VALUE",
        "/fields/1",
        "forward",
    )
    assert found.message() == (
        "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'a' at path "
        "'/fields/1' in the old schema has no default value and is missing in "
        "the new schema', additionalInfo:'a'}"
    )


def test_full_checks_the_latest_only_and_full_transitive_every_version() -> None:
    history = versions(*FORWARD_HISTORY)
    new = parse(user(ID))

    assert check(new, history, Level.FULL).is_compatible
    result = check(new, history, Level.FULL_TRANSITIVE)

    assert [v.version for v in result.verdicts] == [1]
    assert [i.kind for i in result.verdicts[0].incompatibilities] == [
        "READER_FIELD_MISSING_DEFAULT_VALUE"
    ]


def test_transitive_stops_at_the_newest_failing_version() -> None:
    history = versions(
        user(ID, field("a", "int")),
        user(ID, field("a", "int"), field("b", "int", default=0)),
    )
    new = parse(user(ID, field("a", "string")))

    result = check(new, history, Level.BACKWARD_TRANSITIVE)

    assert [v.version for v in result.verdicts] == [2]
    assert sum("{oldSchemaVersion:" in line for line in result.messages()) == 1


def test_full_lists_forward_incompatibilities_first() -> None:
    history = versions(user(field("a", "int"), field("b", "int")))
    new = parse(user(field("a", "long"), field("c", "int")))

    [verdict] = check(new, history, Level.FULL).verdicts

    assert [(i.direction, i.kind, i.path, i.detail) for i in verdict.incompatibilities] == [
        (
            "forward",
            "TYPE_MISMATCH",
            "/fields/0/type",
            "reader type: INT not compatible with writer type: LONG",
        ),
        ("forward", "READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/1", "b"),
        ("backward", "READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/1", "c"),
    ]


@pytest.mark.parametrize("level", list(CompatibilityLevel))
def test_no_existing_version_is_always_compatible(level: CompatibilityLevel) -> None:
    result = check(parse("int"), [], level)

    assert result.is_compatible
    assert result.messages() == []


def test_none_passes_whatever_changed() -> None:
    history = versions(user(ID), user(ID, field("x", "string", default="")))
    new = parse({"type": "enum", "name": "User", "symbols": ["A"]})

    result = check(new, history, Level.NONE)

    assert result.is_compatible
    assert result.verdicts == ()
    assert result.messages() == []
    assert not check(new, history, Level.BACKWARD).is_compatible


def test_messages_are_confluent_lines_with_version_schema_and_level() -> None:
    old = user(field("f1", "string"))
    history = versions(old)
    new = parse(user(field("f1", "string"), field("f2", "string")))

    messages = check(new, history, Level.BACKWARD).messages()

    assert messages == [
        "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'f2' at path "
        "'/fields/1' in the new schema has no default value and is missing in "
        "the old schema', additionalInfo:'f2'}",
        "{oldSchemaVersion: 1}",
        "{oldSchema: '" + json.dumps(old, separators=(",", ":")) + "'}",
        "{validateFields: 'false', compatibility: 'BACKWARD'}",
    ]


def test_messages_name_the_nested_path_and_field() -> None:
    address = {"type": "record", "name": "Address", "fields": [field("street", "string")]}
    moved = {"type": "record", "name": "Address", "fields": [field("street", "int")]}
    history = versions(
        {"type": "record", "name": "UserCreated", "fields": [field("address", address)]}
    )
    new = parse({"type": "record", "name": "UserCreated", "fields": [field("address", moved)]})

    messages = check(new, history, Level.FULL_TRANSITIVE).messages()

    assert messages[0].startswith("{errorType:'TYPE_MISMATCH'")
    assert all("/fields/0/type/fields/0/type" in line for line in messages[:2])
    found = check(new, history, Level.FULL_TRANSITIVE).verdicts[0].incompatibilities
    assert {i.field_path for i in found} == {"UserCreated.address.street"}
    assert found[0].located().endswith(" (field 'UserCreated.address.street')")
    assert messages[2:4] == ["{oldSchemaVersion: 1}", "{oldSchema: '" + history[0].text + "'}"]
    assert messages[-1] == "{validateFields: 'false', compatibility: 'FULL_TRANSITIVE'}"


def test_messages_omit_the_version_line_when_the_version_is_unknown() -> None:
    old = ExistingSchema(version=None, schema=parse("int"), text='"int"')

    messages = check(parse("string"), [old], Level.BACKWARD).messages()

    assert messages[1:] == [
        "{oldSchema: '\"int\"'}",
        "{validateFields: 'false', compatibility: 'BACKWARD'}",
    ]


def incompatibility(kind: str, detail: str, field_path: str = "") -> Incompatibility:
    return Incompatibility(kind, "/fields/2/type", field_path, detail, "backward")


@pytest.mark.parametrize(
    ("found", "description"),
    [
        (
            incompatibility("TYPE_MISMATCH", "d"),
            "The type (path '/fields/2/type') of a field in the new schema does not match with "
            "the old schema",
        ),
        (
            incompatibility("TYPE_MISMATCH", "d", "User.is_a_dog"),
            "The type (path '/fields/2/type') of a field in the new "
            "schema does not match with the old schema",
        ),
        (
            incompatibility("NAME_MISMATCH", "d"),
            "The name of the schema has changed (path '/fields/2/type')",
        ),
        (
            incompatibility("MISSING_ENUM_SYMBOLS", "[C, D]"),
            "The new schema is missing enum symbols '[C, D]' at path '/fields/2/type' in the "
            "old schema",
        ),
        (
            incompatibility("MISSING_UNION_BRANCH", "d", "User.pet"),
            "The new schema is missing a type inside a union field at path '/fields/2/type' "
            "in the old schema",
        ),
        (
            incompatibility("FIXED_SIZE_MISMATCH", "d"),
            "The size of FIXED type field at path '/fields/2/type' in the new schema does not "
            "match with the old schema",
        ),
    ],
)
def test_message_descriptions_use_confluents_wording(
    found: Incompatibility, description: str
) -> None:
    assert found.message() == (
        f"{{errorType:'{found.kind}', description:'{description}', "
        f"additionalInfo:'{found.detail}'}}"
    )


def test_forward_messages_swap_new_and_old() -> None:
    found = Incompatibility("MISSING_ENUM_SYMBOLS", "/symbols", "", "[B]", "forward")

    assert "The old schema is missing enum symbols '[B]' at path '/symbols' in the new schema" in (
        found.message()
    )


def only(reader: object, writer: object) -> Incompatibility:
    [found] = can_read(parse(reader), parse(writer))
    return found


def test_details_follow_java_messages() -> None:
    enum_old = {"type": "enum", "name": "E", "symbols": ["A", "Z", "Y"]}
    enum_new = {"type": "enum", "name": "E", "symbols": ["A"]}
    assert only(enum_new, enum_old).detail == "[Y, Z]"
    fixed_new = {"type": "fixed", "name": "F", "size": 8}
    assert only(fixed_new, {"type": "fixed", "name": "F", "size": 16}).detail == (
        "expected: 16, found: 8"
    )
    renamed = {"type": "record", "name": "New", "namespace": "com.x", "fields": []}
    old = {"type": "record", "name": "Old", "namespace": "com.y", "fields": []}
    assert only(renamed, old).detail == "expected: com.y.Old"
    assert only(["null", "string"], "int").detail == "reader union lacking writer type: INT"
    union_old = ["null", {"type": "array", "items": "int"}]
    assert only(["null"], union_old).detail == "reader union lacking writer type: ARRAY"


def test_field_path_starts_at_the_outermost_record() -> None:
    item = {"type": "record", "name": "Item", "fields": [field("sku", "string")]}
    item_new = {"type": "record", "name": "Item", "fields": [field("sku", "boolean")]}
    order = {
        "type": "record",
        "name": "Order",
        "fields": [field("items", {"type": "array", "items": item})],
    }
    order_new = {
        "type": "record",
        "name": "Order",
        "fields": [field("items", {"type": "array", "items": item_new})],
    }

    found = only(order_new, order)

    assert (found.path, found.field_path) == (
        "/fields/0/type/items/fields/0/type",
        "Order.items.sku",
    )
    assert only(
        {"type": "array", "items": item_new}, {"type": "array", "items": item}
    ).field_path == ("Item.sku")
    renamed = {"type": "record", "name": "Other", "fields": []}
    assert only(renamed, {"type": "record", "name": "Order", "fields": []}).field_path == ""


def test_a_reader_field_matching_two_writer_fields_is_an_error_as_in_java() -> None:
    writer = user(field("a", "int"), field("b", "int"))
    reader = user(field("a", "int", aliases=["b"]))

    with pytest.raises(AmbiguousFieldError, match="matches multiple fields"):
        can_read(parse(reader), parse(writer))


def test_can_read_is_the_backward_check() -> None:
    reader, writer = parse(user(ID, field("x", "int"))), parse(user(ID))

    assert can_read(reader, writer) == reader_writer_incompatibilities(reader, writer)
    assert can_read(reader, writer)[0].direction == "backward"


def test_an_unknown_direction_is_refused() -> None:
    with pytest.raises(ValueError, match="direction"):
        reader_writer_incompatibilities(parse("int"), parse("int"), direction="sideways")


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("NONE", Level.NONE),
        ("backward", Level.BACKWARD),
        (" Backward_Transitive\n", Level.BACKWARD_TRANSITIVE),
        ("forward", Level.FORWARD),
        ("FORWARD_TRANSITIVE", Level.FORWARD_TRANSITIVE),
        ("full", Level.FULL),
        ("full_transitive ", Level.FULL_TRANSITIVE),
    ],
)
def test_level_parse_ignores_case_and_blanks(text: str, level: CompatibilityLevel) -> None:
    assert CompatibilityLevel.parse(text) is level


@pytest.mark.parametrize("text", ["", "FULLY", "BACKWARD TRANSITIVE", "transitive"])
def test_level_parse_refuses_other_text(text: str) -> None:
    with pytest.raises(ValueError, match="unknown compatibility level"):
        CompatibilityLevel.parse(text)


def test_level_values_are_confluents() -> None:
    assert [level.value for level in CompatibilityLevel] == [
        "NONE",
        "BACKWARD",
        "BACKWARD_TRANSITIVE",
        "FORWARD",
        "FORWARD_TRANSITIVE",
        "FULL",
        "FULL_TRANSITIVE",
    ]
