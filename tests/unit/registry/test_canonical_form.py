"""A schema's stored text is what Java Avro's parser and `toString()` make of it, so that the
registry and Confluent store (and identify, and hash into a GUID) the same text."""

from __future__ import annotations

import json

import pytest

from registry.schema import ParseOptions
from registry.schema_types.avro import canonical_json, parse_avro

NORMALIZED = ParseOptions(normalize=True)

# Input, then what Java Avro 1.12 prints for it.
CASES = [
    ('{"type":"int","name":"X"}', '"int"'),
    (
        '{"type":"int","name":"X","namespace":"n","doc":"d","aliases":["a"],"size":3,'
        '"symbols":["A"],"items":"int","values":"int","fields":[]}',
        '"int"',
    ),
    (
        '{"type":"int","foo":"bar","default":1,"order":"ascending"}',
        '{"type":"int","foo":"bar","default":1,"order":"ascending"}',
    ),
    ('{"type":"int","logicalType":"date"}', '{"type":"int","logicalType":"date"}'),
    (
        '{"type":"string","avro.java.string":"String"}',
        '{"type":"string","avro.java.string":"String"}',
    ),
    (
        '{"type":"record","name":"R","namespace":"ns","doc":"rd","size":3,"items":"int",'
        '"symbols":["A"],"values":"int","default":{},"zz":1,"aa":2,"aliases":["Old"],'
        '"fields":[{"name":"f","type":"int","doc":"fd","default":1,"order":"descending",'
        '"aliases":["g"],"custom":"c","logicalType":"date","namespace":"x","size":2}]}',
        '{"type":"record","name":"R","namespace":"ns","doc":"rd","fields":[{"name":"f",'
        '"type":"int","doc":"fd","default":1,"order":"descending","aliases":["g"],'
        '"custom":"c","logicalType":"date","namespace":"x","size":2}],"default":{},"zz":1,'
        '"aa":2,"aliases":["Old"]}',
    ),
    (
        '{"type":"fixed","name":"F","size":16,"symbols":["A"],"items":"int","default":"x","p":1}',
        '{"type":"fixed","name":"F","size":16,"default":"x","p":1}',
    ),
    (
        '{"type":"enum","name":"E","symbols":["A","B"],"default":"A","size":3,"items":"int",'
        '"fields":[],"p":1,"doc":"ed","aliases":["E0"]}',
        '{"type":"enum","name":"E","doc":"ed","symbols":["A","B"],"default":"A","p":1,'
        '"aliases":["E0"]}',
    ),
    (
        '{"type":"array","items":"int","name":"A","namespace":"n","doc":"d","aliases":["x"],'
        '"values":"int","default":[],"p":1}',
        '{"type":"array","items":"int","default":[],"p":1}',
    ),
    (
        '{"type":"map","values":"int","items":"long","name":"M","p":"q"}',
        '{"type":"map","values":"int","p":"q"}',
    ),
    (
        '{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"int"},'
        '"order":"ascending"}]}',
        '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}',
    ),
]


@pytest.mark.parametrize(("text", "java"), CASES)
def test_stored_text_is_java_avros(text: str, java: str) -> None:
    assert parse_avro(text).canonical == java


def test_custom_properties_keep_their_order_unless_normalized() -> None:
    first = '{"type":"long","b":1,"a":2}'
    second = '{"type":"long","a":2,"b":1}'
    assert parse_avro(first).canonical != parse_avro(second).canonical
    assert parse_avro(first, NORMALIZED).canonical == parse_avro(second, NORMALIZED).canonical
    assert (
        json.dumps(canonical_json(json.loads(first), normalize=True))
        == '{"type": "long", "a": 2, "b": 1}'
    )


def test_a_primitive_with_reserved_attributes_is_the_bare_primitive() -> None:
    assert parse_avro('{"type":"int","name":"X"}').guid == parse_avro('"int"').guid
    assert parse_avro('"int"').guid == "ef524ea1-b91e-7317-3d93-8ade36c1db32"
