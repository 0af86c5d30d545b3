"""JSON Schema text → a parsed schema, as Confluent's JSON Schema provider reads it.

The draft is the one `$schema` names (4, 6, 7, 2019-09 or 2020-12, http or https, with or
without a trailing `#`); without `$schema`, or with another URL, draft 7, as Confluent. The
document must be an object or a boolean and must meet its draft's metaschema, which the
`jsonschema` library checks. Each `$ref` must point into the document, at an `$id` it
declares, or at a schema the request references by that name.

Confluent's canonical text is the document as Jackson writes it back: compact, keys in the
order written. With ``normalize`` every object's keys are sorted (Java's String order), so
that the same schema written in another key order is one schema.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jsonschema
import jsonschema.exceptions
import jsonschema.validators

from contract.schema_types import JSON_SCHEMA
from registry.errors import EmptySchemaError, SchemaParseError
from registry.java_strings import java_order
from registry.schema import PLAIN, ParsedSchema, ParseOptions, flatten_references

# `$schema` URL (scheme and trailing `#` removed) → the draft's validator class.
_DRAFTS: dict[str, type[Any]] = {
    "json-schema.org/draft-04/schema": jsonschema.Draft4Validator,
    "json-schema.org/schema": jsonschema.Draft4Validator,
    "json-schema.org/draft-06/schema": jsonschema.Draft6Validator,
    "json-schema.org/draft-07/schema": jsonschema.Draft7Validator,
    "json-schema.org/draft/2019-09/schema": jsonschema.Draft201909Validator,
    "json-schema.org/draft/2020-12/schema": jsonschema.Draft202012Validator,
}
_DEFAULT_DRAFT = jsonschema.Draft7Validator
# Under these keywords an object is data, not a schema.
_DATA_KEYWORDS = ("enum", "const", "default", "examples")


@dataclass(frozen=True)
class JsonSchemaModel:
    """What the compatibility checker walks: the document, its draft, and the documents
    its references name, by the name a `$ref` uses for each."""

    document: Any
    draft: str
    referenced: dict[str, Any] = field(default_factory=dict)

    def resolve(self, pointer: str, base: Any) -> tuple[Any, Any] | None:
        """The schema a `$ref` names and the document it sits in; None when it is
        nowhere to be found."""
        target, _, fragment = pointer.partition("#")
        if not target:
            document = base
        elif target in self.referenced:
            document = self.referenced[target]
        else:
            document = _by_id(base, target)
        if document is None:
            return None
        node = document
        for token in fragment.lstrip("/").split("/") if fragment.strip("/") else ():
            key = token.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                return None
        return node, document


def parse_json_schema(text: str, options: ParseOptions = PLAIN) -> ParsedSchema:
    """Parse and validate ``text``; 42201 saying what is wrong."""
    if not text or not text.strip():
        raise EmptySchemaError()
    document = _document(text)
    referenced = {}
    for resolved in flatten_references(options.references):
        referenced[resolved.reference.name] = _document(resolved.text)
    draft = _check(document)
    model = JsonSchemaModel(document, draft, referenced)
    # Below a nested `$id` a `$ref` resolves against that id's URI, which is beyond this
    # check: such a document's references are taken as written.
    if not _nested_ids(document):
        for pointer in _refs(document):
            if model.resolve(pointer, document) is None:
                raise SchemaParseError(JSON_SCHEMA, f"the $ref '{pointer}' resolves to nothing")
    written = _java_sorted_keys(document) if options.normalize else document
    return options.parsed(_compact(written), model, JSON_SCHEMA)


def normalized_text(canonical: str) -> str:
    """What ``normalize`` makes of a canonical text: every object's keys sorted."""
    return _compact(_java_sorted_keys(json.loads(canonical)))


def _compact(document: Any) -> str:
    """The document as Jackson writes it back: no spaces, characters as they are."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def draft_of(document: Any) -> type[Any]:
    """The validator class of the draft the document's `$schema` names."""
    named = document.get("$schema") if isinstance(document, dict) else None
    if not isinstance(named, str):
        return _DEFAULT_DRAFT
    url = named.split("://", 1)[-1].rstrip("#")
    return _DRAFTS.get(url, _DEFAULT_DRAFT)


def _document(text: str) -> Any:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise SchemaParseError(JSON_SCHEMA, str(error)) from error
    if not isinstance(document, dict | bool):
        raise SchemaParseError(JSON_SCHEMA, "a JSON Schema is an object or a boolean")
    return document


def _check(document: Any) -> str:
    validator = draft_of(document)
    try:
        validator.check_schema(document)
    except jsonschema.exceptions.SchemaError as error:
        raise SchemaParseError(JSON_SCHEMA, f"{error.message} at {error.json_path}") from error
    return str(validator.META_SCHEMA["$schema"])


def _subschemas(node: Any) -> Iterator[dict[str, Any]]:
    """Every object of the document that is a schema, depth first, the root first; what
    sits under `enum`, `const`, `default` or `examples` is data and is skipped."""
    if isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key not in _DATA_KEYWORDS:
                yield from _subschemas(value)
    elif isinstance(node, list):
        for item in node:
            yield from _subschemas(item)


def _refs(document: Any) -> Iterator[str]:
    """Every `$ref` in the document."""
    for schema in _subschemas(document):
        reference = schema.get("$ref")
        if isinstance(reference, str):
            yield reference


def _declares_id(schema: dict[str, Any]) -> bool:
    return isinstance(schema.get("$id"), str) or isinstance(schema.get("id"), str)


def _nested_ids(document: Any) -> bool:
    """Whether a subschema below the root declares an `$id` (or draft 4's `id`)."""
    return any(_declares_id(schema) for schema in _subschemas(document) if schema is not document)


def _by_id(document: Any, target: str) -> Any:
    """The subschema of ``document`` whose `$id` (or draft 4's `id`) is ``target``."""
    for schema in _subschemas(document):
        if target in (schema.get("$id"), schema.get("id")):
            return schema
    return None


def _java_sorted_keys(node: Any) -> Any:
    """``node`` with every object's keys in Java's String order (UTF-16 code units), as
    Confluent's normalizing Jackson tree (TreeMap) writes them; arrays keep their order."""
    if isinstance(node, dict):
        keys = sorted(node, key=java_order)
        return {key: _java_sorted_keys(node[key]) for key in keys}
    if isinstance(node, list):
        return [_java_sorted_keys(item) for item in node]
    return node
