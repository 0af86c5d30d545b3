"""A JSON Schema as everit's object model shows it to Confluent's checker.

Confluent's checker walks everit's schema objects, not the JSON: which class a node
becomes decides most verdicts (`{}` against anything typed is a type change, a `type` with
an `enum` is an `allOf` of two parts). This module reads a JSON node into that shape:

- `true`, `false` and `{}` (no keyword everit knows) are kinds of their own;
- a node with `$ref` is a reference, resolved when compared (its siblings are ignored);
- otherwise each group of keywords is one part, in everit's order: `enum`, each of
  `allOf`/`anyOf`/`oneOf`, `not`, `const`, then `type` (a list of types is an `anyOf`) or,
  without `type`, the kinds its keywords imply (`properties` → object, `minLength` →
  string, …), then `if`/`then`/`else`; several parts make a synthetic `allOf`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from registry.schema_types.json_schema import JsonSchemaModel

_SNIFFED = (
    (
        "object",
        (
            "properties",
            "required",
            "additionalProperties",
            "patternProperties",
            "minProperties",
            "maxProperties",
            "dependencies",
            "dependentRequired",
            "dependentSchemas",
            "propertyNames",
            "unevaluatedProperties",
        ),
    ),
    (
        "array",
        (
            "items",
            "prefixItems",
            "additionalItems",
            "minItems",
            "maxItems",
            "uniqueItems",
            "contains",
            "minContains",
            "maxContains",
            "unevaluatedItems",
        ),
    ),
    ("number", ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")),
    ("string", ("minLength", "maxLength", "pattern", "format")),
)
_DRAFT_2020 = "https://json-schema.org/draft/2020-12/schema"


@dataclass
class SchemaNode:
    """One everit schema: its kind, the JSON object it was read from, and where it sits."""

    # true, false, empty, string, number, integer, object, array, boolean, null, enum,
    # const, combined, not, conditional or ref
    kind: str
    raw: Any
    document: Any
    model: JsonSchemaModel
    criterion: str = ""  # allOf, anyOf or oneOf, for a combined node
    members: list[SchemaNode] = field(default_factory=list)
    # False for the parts of a synthetic allOf: the node's title and the like are its.
    own_meta: bool = True

    def beside(self, raw: Any) -> SchemaNode:
        """The node of a subschema ``raw`` of the same document."""
        return load(raw, self.document, self.model)

    @property
    def everit_class(self) -> str:
        """The kind as everit's classes tell them apart: integer and number are one class."""
        return "number" if self.kind == "integer" else self.kind

    @property
    def connect_bytes(self) -> bool:
        """Whether Kafka Connect marks it as bytes (a decimal may then change its type)."""
        return isinstance(self.raw, dict) and self.raw.get("connect.type") == "bytes"


def load(raw: Any, document: Any, model: JsonSchemaModel) -> SchemaNode:
    """The node ``raw`` (inside ``document``, of ``model``) reads into."""
    if raw is True or raw is False:
        return SchemaNode(str(raw).lower(), raw, document, model)
    if not isinstance(raw, dict):
        return SchemaNode("empty", raw, document, model)
    if isinstance(raw.get("$ref"), str):
        return SchemaNode("ref", raw, document, model)
    parts = _parts(raw, document, model)
    if not parts:
        return SchemaNode("empty", raw, document, model)
    if len(parts) == 1:
        parts[0].own_meta = True
        return parts[0]
    return SchemaNode("combined", raw, document, model, "allOf", parts)


def resolved(node: SchemaNode) -> SchemaNode:
    """The node a reference points at, through any chain of references."""
    for _ in range(64):
        if node.kind != "ref":
            return node
        found = node.model.resolve(node.raw["$ref"], node.document)
        if found is None:
            raise ValueError(f"unresolved $ref {node.raw['$ref']!r}")
        target, document = found
        node = load(target, document, node.model)
    raise ValueError("a chain of $ref too long")


def _parts(raw: dict[str, Any], document: Any, model: JsonSchemaModel) -> list[SchemaNode]:
    def part(kind: str, criterion: str = "", members: list[SchemaNode] | None = None) -> None:
        parts.append(SchemaNode(kind, raw, document, model, criterion, members or [], False))

    parts: list[SchemaNode] = []
    if "enum" in raw:
        part("enum")
    for criterion in ("allOf", "anyOf", "oneOf"):
        if isinstance(raw.get(criterion), list):
            part("combined", criterion, [load(item, document, model) for item in raw[criterion]])
    if "not" in raw:
        part("not", members=[load(raw["not"], document, model)])
    if "const" in raw:
        part("const")
    declared = raw.get("type")
    if declared is not None:
        kinds = declared if isinstance(declared, list) else [declared]
        typed = [SchemaNode(str(kind), raw, document, model, own_meta=False) for kind in kinds]
        if len(typed) == 1:
            parts.append(typed[0])
        else:
            part("combined", "anyOf", typed)
    else:
        for kind, keywords in _SNIFFED:
            if any(keyword in raw for keyword in keywords):
                part(kind)
    if any(keyword in raw for keyword in ("if", "then", "else")):
        part("conditional")
    return parts


@dataclass
class ArrayView:
    """An array schema as everit reads it, whatever the draft wrote: one schema for every
    item, or a tuple of positions and what may follow them."""

    raw: Any
    single: Any
    positions: list[Any]
    additional: Any

    @property
    def open(self) -> bool:
        unevaluated = self.raw.get("unevaluatedItems", True)
        return self.additional is True and unevaluated is True

    @property
    def covering(self) -> Any:
        """The schema items beyond the positions must meet, or None (closed or open)."""
        if isinstance(self.additional, dict):
            return self.additional
        unevaluated = self.raw.get("unevaluatedItems")
        return unevaluated if isinstance(unevaluated, dict) else None


def array_view(node: SchemaNode) -> ArrayView:
    raw = node.raw
    items = raw.get("items")
    if node.model.draft == _DRAFT_2020:
        prefix = raw.get("prefixItems")
        if isinstance(prefix, list):
            return ArrayView(raw, None, prefix, items if items is not None else True)
        if isinstance(items, bool):
            return ArrayView(raw, None, [], items)
        return ArrayView(raw, items, [], True)
    if isinstance(items, list):
        return ArrayView(raw, None, items, raw.get("additionalItems", True))
    return ArrayView(raw, items, [], raw.get("additionalItems", True))


def object_open(raw: Any) -> bool:
    """Whether any property may be added: no schema for extras, no patterns, nothing
    forbidden."""
    additional = raw.get("additionalProperties", True)
    unevaluated = raw.get("unevaluatedProperties", True)
    return additional is True and "patternProperties" not in raw and unevaluated is True


def covering(raw: Any, name: str) -> Any:
    """The schema a partially open object gives property ``name``, or None (closed to it)."""
    for pattern, schema in dict_at(raw, "patternProperties").items():
        try:
            if re.search(pattern, name):
                return schema
        except re.error:
            continue
    additional = raw.get("additionalProperties")
    if isinstance(additional, dict):
        return additional
    unevaluated = raw.get("unevaluatedProperties")
    if additional is None and isinstance(unevaluated, dict):
        return unevaluated
    return None


def dependencies_of(raw: Any) -> dict[str, Any]:
    """Draft 7's `dependencies`, with 2019-09's `dependentRequired` and `dependentSchemas`."""
    merged = dict(dict_at(raw, "dependencies"))
    merged.update(dict_at(raw, "dependentRequired"))
    merged.update(dict_at(raw, "dependentSchemas"))
    return merged


def distinct(members: list[SchemaNode]) -> list[SchemaNode]:
    """Members without repeats (everit keeps a set of them)."""
    seen: set[str] = set()
    kept = []
    for member in members:
        key = json_key(member.raw) + ("" if member.own_meta else member.kind)
        if key not in seen:
            seen.add(key)
            kept.append(member)
    return kept


def matching(fits: dict[int, list[int]]) -> dict[int, int]:
    """A largest matching of old members to the new ones each fits (augmenting paths)."""
    owner: dict[int, int] = {}

    def place(index: int, visited: set[int]) -> bool:
        for other in fits.get(index, []):
            if other in visited:
                continue
            visited.add(other)
            if other not in owner or place(owner[other], visited):
                owner[other] = index
                return True
        return False

    for index in sorted(fits):
        place(index, set())
    return {index: other for other, index in owner.items()}


def number_at(raw: Any, keyword: str) -> float | None:
    """A numeric keyword's value; None when absent or a boolean (draft 4's flags)."""
    value = raw.get(keyword) if isinstance(raw, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def has_default(schema: Any) -> bool:
    return isinstance(schema, dict) and "default" in schema


def dict_at(raw: Any, key: str) -> dict[str, Any]:
    value = raw.get(key) if isinstance(raw, dict) else None
    return value if isinstance(value, dict) else {}


def list_at(raw: Any, key: str) -> list[Any]:
    value = raw.get(key) if isinstance(raw, dict) else None
    return value if isinstance(value, list) else []


def json_key(value: Any) -> str:
    """A JSON value as one comparable text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
