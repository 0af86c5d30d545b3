"""`format=resolved`: referenced types written out where they are first used."""

from __future__ import annotations

import json

from registry.formats import formatted
from registry.schema import ResolvedReference, SchemaReference

ADDRESS = (
    '{"type":"record","name":"Address","namespace":"shared",'
    '"fields":[{"name":"city","type":"string"}]}'
)
PERSON = json.dumps(
    {
        "type": "record",
        "name": "Person",
        "namespace": "people",
        "fields": [
            {"name": "home", "type": "shared.Address"},
            {"name": "work", "type": ["null", "shared.Address"], "default": None},
            {"name": "past", "type": {"type": "array", "items": "shared.Address"}},
            {"name": "tag", "type": {"type": {"type": "string"}}},
        ],
    },
    separators=(",", ":"),
)
REFERENCES = (ResolvedReference(SchemaReference("shared.Address", "address", 1), ADDRESS),)


def test_resolved_inlines_each_referenced_type_once_where_first_used() -> None:
    resolved = json.loads(formatted(PERSON, REFERENCES, "RESOLVED"))
    fields = resolved["fields"]
    assert fields[0]["type"] == json.loads(ADDRESS)
    assert fields[1]["type"] == ["null", "shared.Address"]
    assert fields[2]["type"] == {"type": "array", "items": "shared.Address"}


def test_other_formats_give_the_stored_text() -> None:
    for fmt in (None, "", "default", "serialized", "resolved "):
        assert formatted(PERSON, REFERENCES, fmt) == PERSON
    assert formatted(PERSON, (), "resolved") == PERSON
