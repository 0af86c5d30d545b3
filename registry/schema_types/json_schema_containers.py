"""Confluent's JSON Schema rules for objects and arrays (json_schema_diff.py walks the rest).

An object's or a tuple's *content model* decides what adding or removing a property or an
item means. Open: anything may be added (no schema for extras, no patterns, nothing
forbidden). Partially open for a name or position: a pattern's or the extras' schema covers
it, and the property or item is compared with that schema. Closed: extras are forbidden.
A property removed is judged by the new schema's model, one added by the old one's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from registry.schema_types.json_schema_model import (
    ArrayView,
    SchemaNode,
    array_view,
    covering,
    dependencies_of,
    dict_at,
    has_default,
    list_at,
    object_open,
)

if TYPE_CHECKING:
    from registry.schema_types.json_schema_diff import Walk


def compare_objects(walk: Walk, original: SchemaNode, update: SchemaNode) -> None:
    old, new = original.raw, update.raw
    old_properties, new_properties = dict_at(old, "properties"), dict_at(new, "properties")
    old_required, new_required = set(list_at(old, "required")), set(list_at(new, "required"))
    # `required` counts only for properties both versions declare.
    for name in old_properties:
        if name not in new_properties:
            continue
        if name in old_required and name not in new_required:
            walk.add("REQUIRED_ATTRIBUTE_REMOVED", "required", name)
        elif name in new_required and name not in old_required:
            default = "_WITH_DEFAULT" if has_default(new_properties[name]) else ""
            walk.add(f"REQUIRED_ATTRIBUTE{default}_ADDED", "required", name)
    for name, schema in old_properties.items():
        with walk.at("properties", name):
            if name in new_properties:
                walk.compare_raw(schema, original, new_properties[name], update)
            else:
                _property_removed(walk, name, schema, original, update)
    for name, schema in new_properties.items():
        if name not in old_properties:
            with walk.at("properties", name):
                _property_added(walk, name, schema, original, update, name in new_required)
    _dependencies(walk, original, update)
    extras(walk, original, update, old, new, "additionalProperties", "ADDITIONAL_PROPERTIES")
    unevaluated(walk, original, update, "unevaluatedProperties", "UNEVALUATED_PROPERTIES")
    walk.limit(old, new, "maxProperties")
    walk.limit(old, new, "minProperties")


def _property_removed(
    walk: Walk, name: str, schema: Any, original: SchemaNode, update: SchemaNode
) -> None:
    if object_open(update.raw):
        walk.add("PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL")
        return
    covered_by = covering(update.raw, name)
    if covered_by is not None:
        walk.covered("PROPERTY_REMOVED", original.beside(schema), update.beside(covered_by))
    elif schema is False:
        walk.add("PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL")
    else:
        walk.add("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL")


def _property_added(
    walk: Walk, name: str, schema: Any, original: SchemaNode, update: SchemaNode, required: bool
) -> None:
    default = "_WITH_DEFAULT" if has_default(schema) else ""
    if object_open(original.raw):
        if schema is True or schema == {}:
            walk.add("PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL")
        elif required:
            walk.add(f"REQUIRED_PROPERTY{default}_ADDED_TO_OPEN_CONTENT_MODEL")
        else:
            walk.add("OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL")
        return
    covered_by = covering(original.raw, name)
    if covered_by is not None:
        walk.covered("PROPERTY_ADDED", original.beside(covered_by), update.beside(schema))
    if required:
        walk.add(f"REQUIRED_PROPERTY{default}_ADDED_TO_UNOPEN_CONTENT_MODEL")
    else:
        walk.add("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL")


def _dependencies(walk: Walk, original: SchemaNode, update: SchemaNode) -> None:
    old, new = dependencies_of(original.raw), dependencies_of(update.raw)
    for name in [*old, *(name for name in new if name not in old)]:
        before, after = old.get(name), new.get(name)
        with walk.at("dependencies", name):
            if isinstance(before, list) or isinstance(after, list):
                _dependency_array(walk, before, after)
            elif before is None or after is None:
                walk.add(
                    "DEPENDENCY_SCHEMA_ADDED" if before is None else "DEPENDENCY_SCHEMA_REMOVED"
                )
            else:
                walk.compare_raw(before, original, after, update)


def _dependency_array(walk: Walk, before: Any, after: Any) -> None:
    if before is None or after is None:
        walk.add("DEPENDENCY_ARRAY_ADDED" if before is None else "DEPENDENCY_ARRAY_REMOVED")
    elif set(after) > set(before):
        walk.add("DEPENDENCY_ARRAY_EXTENDED")
    elif set(after) < set(before):
        walk.add("DEPENDENCY_ARRAY_NARROWED")
    elif set(after) != set(before):
        walk.add("DEPENDENCY_ARRAY_CHANGED")


def extras(
    walk: Walk,
    original: SchemaNode,
    update: SchemaNode,
    old: Any,
    new: Any,
    keyword: str,
    name: str,
) -> None:
    """additionalProperties or additionalItems: whether extras are let in, and by what
    (`true` and absent are one)."""
    before, after = old.get(keyword, True), new.get(keyword, True)
    if (before is not False) != (after is not False):
        walk.add(f"{name}_{'ADDED' if after is not False else 'REMOVED'}", keyword)
    elif isinstance(before, bool) and isinstance(after, dict):
        walk.add(f"{name}_NARROWED", keyword)
    elif isinstance(before, dict) and isinstance(after, bool):
        walk.add(f"{name}_EXTENDED", keyword)
    elif isinstance(before, dict) and isinstance(after, dict):
        with walk.at(keyword):
            walk.compare_raw(before, original, after, update)


def unevaluated(
    walk: Walk, original: SchemaNode, update: SchemaNode, keyword: str, name: str
) -> None:
    """unevaluatedProperties or unevaluatedItems (2019-09 on); absent is `true`."""
    before, after = original.raw.get(keyword, True), update.raw.get(keyword, True)
    if before == after:
        return
    if after is False:
        walk.add(f"{name}_REMOVED", keyword)
    elif before is False:
        walk.add(f"{name}_ADDED", keyword)
    elif before is True:
        walk.add(f"{name}_NARROWED", keyword)
    elif after is True:
        walk.add(f"{name}_EXTENDED", keyword)
    else:
        with walk.at(keyword):
            walk.compare_raw(before, original, after, update)


def compare_arrays(walk: Walk, original: SchemaNode, update: SchemaNode) -> None:
    old, new = array_view(original), array_view(update)
    if old.single is not None or new.single is not None:
        with walk.at("items"):
            walk.compare(
                None if old.single is None else original.beside(old.single),
                None if new.single is None else update.beside(new.single),
            )
    for index in range(max(len(old.positions), len(new.positions))):
        with walk.at("items", str(index)):
            _position(walk, index, old, new, original, update)
    extras(
        walk,
        original,
        update,
        {"additionalItems": old.additional},
        {"additionalItems": new.additional},
        "additionalItems",
        "ADDITIONAL_ITEMS",
    )
    unevaluated(walk, original, update, "unevaluatedItems", "UNEVALUATED_ITEMS")
    walk.limit(old.raw, new.raw, "maxItems")
    walk.limit(old.raw, new.raw, "minItems")
    if bool(old.raw.get("uniqueItems")) != bool(new.raw.get("uniqueItems")):
        added = bool(new.raw.get("uniqueItems"))
        walk.add("UNIQUE_ITEMS_ADDED" if added else "UNIQUE_ITEMS_REMOVED", "uniqueItems")
    walk.limit(old.raw, new.raw, "maxContains")
    walk.limit(old.raw, new.raw, "minContains")


def _position(
    walk: Walk,
    index: int,
    old: ArrayView,
    new: ArrayView,
    original: SchemaNode,
    update: SchemaNode,
) -> None:
    if index < len(old.positions) and index < len(new.positions):
        walk.compare_raw(old.positions[index], original, new.positions[index], update)
    elif index < len(old.positions):  # removed: judged by the new model
        item = old.positions[index]
        if new.open:
            walk.add("ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL")
        elif new.covering is not None:
            walk.covered("ITEM_REMOVED", original.beside(item), update.beside(new.covering))
        elif item is False:
            walk.add("ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL")
        else:
            walk.add("ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL")
    else:  # added: judged by the old model
        item = new.positions[index]
        if old.open:
            empty = item is True or item == {}
            walk.add(f"ITEM{'_WITH_EMPTY_SCHEMA' if empty else ''}_ADDED_TO_OPEN_CONTENT_MODEL")
        elif old.covering is not None:
            walk.covered("ITEM_ADDED", original.beside(old.covering), update.beside(item))
        else:
            walk.add("ITEM_ADDED_TO_CLOSED_CONTENT_MODEL")
