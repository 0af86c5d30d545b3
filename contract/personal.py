"""Which fields of an event's schema hold personal data: what the console never shows.

A field is personal when its schema tags it `PII` the way Confluent's data contracts tag
fields: the attribute `"confluent:tags": ["PII"]` on the field (Avro keeps unknown
attributes, so such a schema registers and serializes unchanged). A record field with a
personal field anywhere inside it is personal as a whole: a lake column holds the record.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

PERSONAL_TAG = "PII"
TAGS_ATTRIBUTE = "confluent:tags"


def personal_fields(schema: Mapping[str, Any]) -> frozenset[str]:
    """The names of the record's top-level fields that hold personal data."""
    named: dict[str, Any] = {}
    _remember_names(schema, named)
    return frozenset(
        field["name"]
        for field in schema.get("fields", ())
        if _is_personal(field, named, seen=set())
    )


def personal_fields_of_texts(texts: Iterable[str]) -> frozenset[str]:
    """The fields any of the schema versions marks personal: once marked, a column stays
    hidden even where another version forgot the tag."""
    found: set[str] = set()
    for text in texts:
        schema = json.loads(text)
        if isinstance(schema, Mapping):
            found |= personal_fields(schema)
    return frozenset(found)


def _is_personal(field: Mapping[str, Any], named: dict[str, Any], *, seen: set[str]) -> bool:
    tags = field.get(TAGS_ATTRIBUTE) or ()
    if any(str(tag).upper() == PERSONAL_TAG for tag in tags):
        return True
    return _type_is_personal(field.get("type"), named, seen=seen)


def _type_is_personal(avro_type: Any, named: dict[str, Any], *, seen: set[str]) -> bool:
    if isinstance(avro_type, list):
        return any(_type_is_personal(branch, named, seen=seen) for branch in avro_type)
    if isinstance(avro_type, str):
        if avro_type in seen or avro_type not in named:
            return False
        seen.add(avro_type)
        return _type_is_personal(named[avro_type], named, seen=seen)
    if not isinstance(avro_type, Mapping):
        return False
    kind = avro_type.get("type")
    if kind == "record":
        return any(_is_personal(f, named, seen=seen) for f in avro_type.get("fields", ()))
    if kind == "array":
        return _type_is_personal(avro_type.get("items"), named, seen=seen)
    if kind == "map":
        return _type_is_personal(avro_type.get("values"), named, seen=seen)
    return False


def _remember_names(avro_type: Any, named: dict[str, Any]) -> None:
    """Named records by their short and full names, so a reference by name is followed."""
    if isinstance(avro_type, list):
        for branch in avro_type:
            _remember_names(branch, named)
        return
    if not isinstance(avro_type, Mapping):
        return
    if avro_type.get("type") == "record" and "name" in avro_type:
        name = str(avro_type["name"])
        namespace = avro_type.get("namespace")
        named[name] = avro_type
        named[name.rsplit(".", 1)[-1]] = avro_type
        if namespace and "." not in name:
            named[f"{namespace}.{name}"] = avro_type
        for field in avro_type.get("fields", ()):
            _remember_names(field.get("type"), named)
    for key in ("items", "values"):
        if key in avro_type:
            _remember_names(avro_type[key], named)
