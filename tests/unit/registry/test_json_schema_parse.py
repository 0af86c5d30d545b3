"""Reading a JSON Schema as Confluent's provider does: draft, validity, canonical text."""

from __future__ import annotations

import pytest

from registry.errors import EmptySchemaError, SchemaParseError
from registry.schema import ParseOptions, ResolvedReference, SchemaReference
from registry.schema_types import parse_schema
from registry.schema_types.json_schema import parse_json_schema

NORMALIZED = ParseOptions(normalize=True)


def test_the_canonical_text_is_compact_and_keeps_the_written_key_order() -> None:
    parsed = parse_json_schema('{ "type": "object",\n "properties": {"b": {}, "a": {}} }')
    assert parsed.canonical == '{"type":"object","properties":{"b":{},"a":{}}}'
    assert parsed.schema_type == "JSON"


def test_normalizing_sorts_every_objects_keys_and_keeps_arrays() -> None:
    text = '{"required": ["b", "a"], "type": "object", "properties": {"b": {}, "a": {}}}'
    assert parse_json_schema(text, NORMALIZED).canonical == (
        '{"properties":{"a":{},"b":{}},"required":["b","a"],"type":"object"}'
    )


def test_key_order_alone_makes_another_schema_unless_normalized() -> None:
    first, second = '{"type":"string","maxLength":3}', '{"maxLength":3,"type":"string"}'
    assert parse_json_schema(first).fingerprint != parse_json_schema(second).fingerprint
    assert (
        parse_json_schema(first, NORMALIZED).fingerprint
        == parse_json_schema(second, NORMALIZED).fingerprint
    )


def test_the_same_text_as_avro_and_as_json_is_two_schemas_with_one_guid() -> None:
    text = '{"type":"string","connect.type":"bytes"}'  # one canonical text in both types
    avro, json_schema = parse_schema("AVRO", text, ParseOptions()), parse_json_schema(text)
    assert avro.fingerprint != json_schema.fingerprint
    assert avro.guid == json_schema.guid  # Confluent does not hash the type


@pytest.mark.parametrize(
    ("url", "draft"),
    [
        ("http://json-schema.org/draft-04/schema#", "http://json-schema.org/draft-04/schema#"),
        ("https://json-schema.org/draft-06/schema", "http://json-schema.org/draft-06/schema#"),
        ("http://json-schema.org/draft-07/schema#", "http://json-schema.org/draft-07/schema#"),
        (
            "https://json-schema.org/draft/2019-09/schema",
            "https://json-schema.org/draft/2019-09/schema",
        ),
        (
            "https://json-schema.org/draft/2020-12/schema",
            "https://json-schema.org/draft/2020-12/schema",
        ),
        ("https://example.com/my-dialect", "http://json-schema.org/draft-07/schema#"),
    ],
)
def test_the_draft_is_the_one_schema_names_else_seven(url: str, draft: str) -> None:
    assert parse_json_schema(f'{{"$schema": "{url}", "type": "object"}}').model.draft == draft


def test_draft_four_reads_its_boolean_exclusive_limits() -> None:
    text = (
        '{"$schema": "http://json-schema.org/draft-04/schema#",'
        ' "type": "number", "minimum": 1, "exclusiveMinimum": true}'
    )
    parse_json_schema(text)
    with pytest.raises(SchemaParseError):
        parse_json_schema('{"type": "number", "minimum": 1, "exclusiveMinimum": true}')


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("{", "Expecting property name"),
        ("[1, 2]", "a JSON Schema is an object or a boolean"),
        ('{"type": "objectx"}', "at $.type"),
        ('{"type": "object", "required": "name"}', "at $.required"),
        ('{"properties": {"a": {"$ref": "#/definitions/missing"}}}', "'#/definitions/missing'"),
        ('{"properties": {"a": {"$ref": "other.json"}}}', "'other.json' resolves to nothing"),
    ],
)
def test_a_bad_schema_is_42201_naming_what_and_where(text: str, detail: str) -> None:
    with pytest.raises(SchemaParseError) as caught:
        parse_json_schema(text)
    assert caught.value.error_code == 42201
    assert caught.value.message.startswith("Invalid schema of type JSON, details: ")
    assert detail in caught.value.message


def test_an_empty_schema_is_refused_as_for_avro() -> None:
    with pytest.raises(EmptySchemaError):
        parse_json_schema("  ")


def test_booleans_are_schemas() -> None:
    assert parse_json_schema("true").canonical == "true"
    assert parse_json_schema("false").canonical == "false"


def test_a_reference_resolves_by_its_name() -> None:
    address = '{"type": "object", "properties": {"city": {"type": "string"}}}'
    reference = SchemaReference("address.json", "address-value", 1)
    options = ParseOptions(references=(ResolvedReference(reference, address),))
    text = '{"type": "object", "properties": {"home": {"$ref": "address.json"}}}'
    parsed = parse_json_schema(text, options)
    assert parsed.references == (reference,)
    assert parsed.model.resolve("address.json", parsed.model.document) is not None
