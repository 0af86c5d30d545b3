"""Avro schema text → a parsed schema with its canonical form and identity.

Confluent stores and returns the schema as Java Avro's `Schema.toString()`: compact JSON in
a fixed key order. Neither `avro` nor `fastavro` offers that full-fidelity form (fastavro's
"canonical form" is Avro's Parsing Canonical Form, which drops docs, defaults and aliases and
so would give two different schemas one id), so the key ordering below is written here.
Validation is left to the libraries: `fastavro` checks names, types and default values;
`avro.schema` gives the object model the compatibility checker walks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import avro.errors
import avro.name
import avro.schema
import fastavro
from fastavro.schema import SchemaParseException, UnknownType

from contract.schema_types import AVRO
from registry.errors import AvroSchemaError, EmptySchemaError
from registry.schema import PLAIN, JsonObject, ParsedSchema, ParseOptions, flatten_references

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
_NAMED = frozenset({"record", "error", "enum", "fixed"})
# Java Avro's reserved attributes (`Schema.SCHEMA_RESERVED`, `ENUM_RESERVED`, `FIELD_RESERVED`):
# its parser reads the ones that apply to a type and drops the rest; every other attribute
# is a custom property, kept in the order written.
_SCHEMA_RESERVED = frozenset(
    {"doc", "fields", "items", "name", "namespace", "size", "symbols", "values", "type", "aliases"}
)
_ENUM_RESERVED = _SCHEMA_RESERVED | {"default"}
_FIELD_RESERVED = frozenset({"default", "doc", "name", "order", "type", "aliases"})
# How `Schema.toString()` prints each type: these keys, the custom properties, then these.
_LAYOUT: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "record": (("type", "name", "namespace", "doc", "fields"), ("aliases",)),
    "error": (("type", "name", "namespace", "doc", "fields"), ("aliases",)),
    "enum": (("type", "name", "namespace", "doc", "symbols", "default"), ("aliases",)),
    "fixed": (("type", "name", "namespace", "doc", "size"), ("aliases",)),
    "array": (("type", "items"), ()),
    "map": (("type", "values"), ()),
}
_FIELD_LAYOUT = ("name", "type", "doc", "default", "order", "aliases")


def parse_avro(text: str, options: ParseOptions = PLAIN) -> ParsedSchema:
    """Parse and validate ``text``; raise InvalidSchemaError (42201) saying what is wrong."""
    if not text or not text.strip():
        raise EmptySchemaError()
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise AvroSchemaError(str(error)) from error
    named_fastavro: dict[str, Any] = {}
    names = avro.name.Names()
    try:
        for resolved in flatten_references(options.references):
            referenced = json.loads(resolved.text)
            fastavro.parse_schema(referenced, named_schemas=named_fastavro)
            avro.schema.make_avsc_object(referenced, names)
        fastavro.parse_schema(document, named_schemas=named_fastavro)
        model = avro.schema.make_avsc_object(document, names)
    except (SchemaParseException, UnknownType, avro.errors.AvroException) as error:
        raise AvroSchemaError(str(error)) from error
    except (TypeError, ValueError, KeyError, AttributeError) as error:
        # Both libraries fail this way on some malformed documents ({"type": 3}, ...).
        raise AvroSchemaError(repr(error)) from error
    canonical = json.dumps(
        canonical_json(document, normalize=options.normalize),
        separators=(",", ":"),
        ensure_ascii=False,
    )
    try:
        canonical.encode("utf-8")
    except UnicodeEncodeError:
        raise AvroSchemaError("an unpaired surrogate (\\ud800…) in a string") from None
    return options.parsed(canonical, model, AVRO)


def normalized_text(canonical: str) -> str:
    """What ``normalize`` makes of a canonical text: names in full, properties sorted. The
    text is valid already (it was parsed), so only the key order and names change."""
    return json.dumps(canonical_json(json.loads(canonical), normalize=True), separators=(",", ":"))


def canonical_json(node: Any, *, normalize: bool = False, namespace: str | None = None) -> Any:
    """The schema as Java Avro parses and prints it, so that it is what Confluent stores.

    Reserved attributes that do not apply to a type are dropped (`{"type": "int", "name":
    "X"}` is `"int"`), custom properties keep their place and order. With ``normalize`` names
    are written in full, namespaces dropped and custom properties sorted, so the same schema
    written with or without namespaces, or with its properties in another order, matches.
    """
    if isinstance(node, str):
        if normalize and node not in PRIMITIVES:
            return _full_name(node, namespace)
        return node
    if isinstance(node, list):
        return [canonical_json(branch, normalize=normalize, namespace=namespace) for branch in node]
    if not isinstance(node, Mapping):
        return node
    kind = node.get("type")
    if isinstance(kind, str) and kind in PRIMITIVES:
        extra = _properties(node, _SCHEMA_RESERVED, normalize)
        return {"type": kind, **extra} if extra else kind
    if not isinstance(kind, str) or kind not in _LAYOUT:
        # {"type": {...}} wrapping a schema, or a bare named-type reference object.
        if set(node) == {"type"}:
            return canonical_json(kind, normalize=normalize, namespace=namespace)
        return {key: node[key] for key in sorted(node)}
    inner_namespace = namespace
    if kind in _NAMED:
        inner_namespace = _namespace_of(node, namespace)
    before, after = _LAYOUT[kind]
    result: JsonObject = {}
    for key in before:
        if key not in node:
            continue
        value = node[key]
        if key == "fields":
            value = [_canonical_field(item, normalize, inner_namespace) for item in value]
        elif key in ("items", "values"):
            value = canonical_json(value, normalize=normalize, namespace=inner_namespace)
        elif normalize and key == "name":
            value = _full_name(value, node.get("namespace", namespace))
        elif normalize and key == "namespace":
            continue
        result[key] = value
    result.update(
        _properties(node, _ENUM_RESERVED if kind == "enum" else _SCHEMA_RESERVED, normalize)
    )
    if "aliases" in after and "aliases" in node:
        aliases = node["aliases"]
        result["aliases"] = (
            sorted(_full_name(alias, inner_namespace) for alias in aliases)
            if normalize
            else aliases
        )
    return result


def _canonical_field(item: Mapping[str, Any], normalize: bool, namespace: str | None) -> JsonObject:
    result: JsonObject = {}
    for key in _FIELD_LAYOUT:
        if key not in item:
            continue
        value = item[key]
        if key == "type":
            value = canonical_json(value, normalize=normalize, namespace=namespace)
        elif key == "order" and value == "ascending":
            continue  # the default: Java Avro does not print it
        elif normalize and key == "aliases":
            value = sorted(value)
        result[key] = value
    result.update(_properties(item, _FIELD_RESERVED, normalize))
    return result


def _properties(node: Mapping[str, Any], reserved: frozenset[str], normalize: bool) -> JsonObject:
    """The custom properties of a schema or field object, in the order Java keeps them."""
    keys = [key for key in node if key not in reserved]
    return {key: node[key] for key in (sorted(keys) if normalize else keys)}


def _namespace_of(node: Mapping[str, Any], enclosing: str | None) -> str | None:
    name = node.get("name", "")
    if isinstance(name, str) and "." in name:
        return name.rsplit(".", 1)[0]
    namespace = node.get("namespace", enclosing)
    return namespace if isinstance(namespace, str) and namespace else None


def _full_name(name: str, namespace: str | None) -> str:
    if "." in name or not namespace:
        return name
    return f"{namespace}.{name}"
