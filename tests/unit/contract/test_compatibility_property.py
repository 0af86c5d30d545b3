"""Property: on plain record schemas our verdict equals the avro package's checker.

Without aliases or nested unions the avro port of Java's SchemaCompatibility gives Java's verdict,
so the two must agree on every generated reader/writer pair.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import cast

import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType
from hypothesis import given, settings
from hypothesis import strategies as st

from contract.compatibility import can_read

# The class's __init__ carries no annotations; typed here so mypy --strict accepts the call.
new_checker = cast(Callable[[], ReaderWriterCompatibilityChecker], ReaderWriterCompatibilityChecker)

# A valid default for each primitive, so the schemas are ones Java would also parse.
DEFAULTS: dict[str, object] = {
    "null": None,
    "boolean": False,
    "int": 0,
    "long": 0,
    "float": 0.0,
    "double": 0.0,
    "bytes": "",
    "string": "",
}


@st.composite
def field_types(draw: st.DrawFn) -> tuple[object, object]:
    """A primitive or an optional primitive, with a default valid for it."""
    primitive = draw(st.sampled_from(sorted(DEFAULTS)))
    shape = draw(st.sampled_from(["plain", "null first", "null last"]))
    if primitive == "null" or shape == "plain":
        return primitive, DEFAULTS[primitive]
    if shape == "null first":
        return ["null", primitive], None
    return [primitive, "null"], DEFAULTS[primitive]


@st.composite
def records(draw: st.DrawFn) -> dict[str, object]:
    names = draw(st.lists(st.sampled_from(["a", "b", "c", "d"]), unique=True, max_size=4))
    fields: list[dict[str, object]] = []
    for name in names:
        type_, default = draw(field_types())
        item: dict[str, object] = {"name": name, "type": type_}
        if draw(st.booleans()):
            item["default"] = default
        fields.append(item)
    return {"type": "record", "name": "R", "fields": fields}


@settings(max_examples=200, deadline=None)
@given(reader=records(), writer=records())
def test_verdict_matches_the_avro_package(
    reader: dict[str, object], writer: dict[str, object]
) -> None:
    reader_schema = avro.schema.parse(json.dumps(reader))
    writer_schema = avro.schema.parse(json.dumps(writer))

    ours = not can_read(reader_schema, writer_schema)
    theirs = new_checker().get_compatibility(reader_schema, writer_schema)

    assert ours == (theirs.compatibility is SchemaCompatibilityType.compatible)
