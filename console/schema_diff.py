"""What changed between two versions of an Avro schema, field by field.

Written here because no Avro library compares two schemas for people: `avro`'s checker says
whether a reader can read a writer, not what was added, removed or changed. The walk follows
records into their fields (nested records, and records inside unions, arrays and maps), and
names each change by its field path, as the registry names an incompatibility's location:
`address.city`, `tags[]`, `scores{}`, `contact[Email].address`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

Json = Any
_NAMED = ("record", "error", "enum", "fixed")


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    TYPE = "type changed"
    DEFAULT = "default changed"
    SYMBOLS = "symbols changed"


@dataclass(frozen=True)
class FieldChange:
    path: str
    kind: ChangeKind
    before: str | None
    after: str | None


@dataclass(frozen=True)
class _Side:
    """A schema and the named types it defines, by full name."""

    root: Json
    named: dict[str, Json]


def diff_schemas(before: str | Json, after: str | Json) -> list[FieldChange]:
    """The changes from ``before`` to ``after`` (schema texts or parsed JSON), in the order
    of ``after``'s fields, removed fields after the kept ones of their record."""
    old, new = _side(before), _side(after)
    changes: list[FieldChange] = []
    _compare(old, old.root, new, new.root, "", changes, seen=set())
    return changes


def describe(schema: Json) -> str:
    """A type as one short line: `string`, `null | string`, `array<long>`, `record Address`
    (a named type by its name without namespace: the path already says where it is)."""
    if isinstance(schema, str):
        return schema
    if isinstance(schema, list):
        return " | ".join(describe(branch) for branch in schema)
    if not isinstance(schema, dict):
        return json.dumps(schema)
    kind = schema.get("type")
    if kind in _NAMED:
        return f"{kind} {str(schema.get('name', '')).rpartition('.')[2]}"
    if kind == "array":
        return f"array<{describe(schema.get('items'))}>"
    if kind == "map":
        return f"map<{describe(schema.get('values'))}>"
    logical = schema.get("logicalType")
    base = describe(kind)
    return f"{base} ({logical})" if logical else base


def _side(schema: str | Json) -> _Side:
    root = json.loads(schema) if isinstance(schema, str) else schema
    named: dict[str, Json] = {}
    _collect(root, "", named)
    return _Side(root, named)


def _collect(schema: Json, namespace: str, named: dict[str, Json]) -> None:
    if isinstance(schema, list):
        for branch in schema:
            _collect(branch, namespace, named)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind in _NAMED:
            full = _full_name(schema, namespace)
            named.setdefault(full, schema)
            namespace = full.rpartition(".")[0]
        if kind in ("record", "error"):
            for field in schema.get("fields", []):
                _collect(field.get("type"), namespace, named)
        elif kind == "array":
            _collect(schema.get("items"), namespace, named)
        elif kind == "map":
            _collect(schema.get("values"), namespace, named)
        elif isinstance(kind, dict | list):
            _collect(kind, namespace, named)


def _full_name(schema: dict[str, Json], namespace: str) -> str:
    name = str(schema.get("name", ""))
    if "." in name:
        return name
    space = schema.get("namespace", namespace) or ""
    return f"{space}.{name}" if space else name


def _resolve(side: _Side, schema: Json) -> Json:
    """A reference to a named type, as the definition it names."""
    if isinstance(schema, str) and schema in side.named:
        return side.named[schema]
    if isinstance(schema, str):
        for full, definition in side.named.items():
            if full.rpartition(".")[2] == schema:
                return definition
    if isinstance(schema, dict) and isinstance(schema.get("type"), dict | list):
        return schema["type"]
    return schema


def _compare(
    old: _Side,
    before: Json,
    new: _Side,
    after: Json,
    path: str,
    changes: list[FieldChange],
    *,
    seen: set[tuple[str, str]],
) -> None:
    before, after = _resolve(old, before), _resolve(new, after)
    if isinstance(before, list) and isinstance(after, list):
        _compare_unions(old, before, new, after, path, changes, seen=seen)
        return
    old_kind, new_kind = _kind(before), _kind(after)
    if old_kind != new_kind or _base(before) != _base(after):
        changes.append(
            FieldChange(path or "(root)", ChangeKind.TYPE, describe(before), describe(after))
        )
        return
    if old_kind in ("record", "error"):
        key = (_full_name(before, ""), _full_name(after, ""))
        if key in seen:
            return  # a recursive type, already compared higher up
        _compare_records(old, before, new, after, path, changes, seen={*seen, key})
    elif old_kind == "enum":
        old_symbols, new_symbols = before.get("symbols", []), after.get("symbols", [])
        if old_symbols != new_symbols:
            changes.append(
                FieldChange(
                    path or "(root)",
                    ChangeKind.SYMBOLS,
                    _symbols(old_symbols),
                    _symbols(new_symbols),
                )
            )
    elif old_kind == "array":
        _compare(old, before.get("items"), new, after.get("items"), f"{path}[]", changes, seen=seen)
    elif old_kind == "map":
        _compare(
            old, before.get("values"), new, after.get("values"), f"{path}{{}}", changes, seen=seen
        )


def _compare_records(
    old: _Side,
    before: dict[str, Json],
    new: _Side,
    after: dict[str, Json],
    path: str,
    changes: list[FieldChange],
    *,
    seen: set[tuple[str, str]],
) -> None:
    old_fields = {field["name"]: field for field in before.get("fields", [])}
    new_fields = {field["name"]: field for field in after.get("fields", [])}
    for name, field in new_fields.items():
        where = f"{path}.{name}" if path else name
        earlier = old_fields.get(name)
        if earlier is None:
            changes.append(FieldChange(where, ChangeKind.ADDED, None, _field_summary(field)))
            continue
        _compare(old, earlier["type"], new, field["type"], where, changes, seen=seen)
        if _default(earlier) != _default(field):
            changes.append(
                FieldChange(where, ChangeKind.DEFAULT, _default_text(earlier), _default_text(field))
            )
    for name, field in old_fields.items():
        if name not in new_fields:
            where = f"{path}.{name}" if path else name
            changes.append(FieldChange(where, ChangeKind.REMOVED, _field_summary(field), None))


def _compare_unions(
    old: _Side,
    before: list[Json],
    new: _Side,
    after: list[Json],
    path: str,
    changes: list[FieldChange],
    *,
    seen: set[tuple[str, str]],
) -> None:
    old_branches = {_branch_key(old, branch): branch for branch in before}
    new_branches = {_branch_key(new, branch): branch for branch in after}
    if list(old_branches) != list(new_branches):
        changes.append(
            FieldChange(path or "(root)", ChangeKind.TYPE, describe(before), describe(after))
        )
    # Inside a branch both versions have, the walk goes on: a record's own changes.
    for key, branch in new_branches.items():
        if key in old_branches and _kind(_resolve(new, branch)) in ("record", "error"):
            label = key.rpartition(".")[2]
            _compare(old, old_branches[key], new, branch, f"{path}[{label}]", changes, seen=seen)


def _branch_key(side: _Side, branch: Json) -> str:
    resolved = _resolve(side, branch)
    kind = _kind(resolved)
    if kind in _NAMED:
        return _full_name(resolved, "")
    return describe(resolved)


def _kind(schema: Json) -> str:
    if isinstance(schema, str):
        return schema
    if isinstance(schema, dict):
        kind = schema.get("type")
        return kind if isinstance(kind, str) else "?"
    return "union" if isinstance(schema, list) else "?"


def _base(schema: Json) -> str:
    """What makes two types of one kind different types: a name, a logical type, a size."""
    if not isinstance(schema, dict):
        return str(schema)
    kind = schema.get("type")
    if kind in _NAMED:
        short = _full_name(schema, "").rpartition(".")[2]
        return f"{kind} {short} {schema.get('size', '')}".strip()
    return f"{kind} {schema.get('logicalType', '')}".strip()


def _default(field: dict[str, Json]) -> tuple[bool, Json]:
    return ("default" in field, field.get("default"))


def _default_text(field: dict[str, Json]) -> str | None:
    return json.dumps(field["default"]) if "default" in field else None


def _field_summary(field: dict[str, Json]) -> str:
    summary = describe(field.get("type"))
    if "default" in field:
        summary += f" = {json.dumps(field['default'])}"
    return summary


def _symbols(symbols: list[str]) -> str:
    return ", ".join(symbols)
