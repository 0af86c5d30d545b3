"""The `format` query parameter: a schema's text in another form than the stored one.

For Avro Confluent knows `default` (the stored text: referenced types by name) and `resolved`
(each referenced named type written out where it is first used, as Java Avro's `toString()`
prints a schema whose types are all in hand); any other value gives the stored text. No
library inlines Confluent references, so the walk is written here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from registry.schema import ResolvedReference, flatten_references
from registry.schema_types.avro import PRIMITIVES

RESOLVED = "resolved"
_NAMED = frozenset({"record", "error", "enum", "fixed"})
_KINDS = PRIMITIVES | _NAMED | {"array", "map"}


def asks_resolved(fmt: str | None) -> bool:
    """Whether ``fmt`` names the `resolved` form (any case); every other names the stored text."""
    return fmt is not None and fmt.lower() == RESOLVED


def formatted(text: str, references: Sequence[ResolvedReference], fmt: str | None) -> str:
    """``text`` in the form ``fmt`` names; the stored text for any format but `resolved`."""
    if not asks_resolved(fmt) or not references:
        return text
    definitions: dict[str, Any] = {}
    for reference in flatten_references(references):
        document = json.loads(reference.text)
        if isinstance(document, dict) and document.get("type") in _NAMED:
            definitions[_full_name(document, None)] = document
    inliner = _Inliner(definitions)
    return json.dumps(
        inliner.walk(json.loads(text), None), separators=(",", ":"), ensure_ascii=False
    )


class _Inliner:
    def __init__(self, definitions: dict[str, Any]) -> None:
        self.definitions = definitions
        self.defined: set[str] = set()

    def walk(self, node: Any, namespace: str | None) -> Any:
        if isinstance(node, str):
            return self._name(node, namespace)
        if isinstance(node, list):
            return [self.walk(branch, namespace) for branch in node]
        if not isinstance(node, dict):
            return node
        kind = node.get("type")
        result = dict(node)
        if isinstance(kind, str) and kind in _NAMED:
            full = _full_name(node, namespace)
            self.defined.add(full)
            namespace = full.rpartition(".")[0] or None
        elif not isinstance(kind, str) or kind not in _KINDS:
            # {"type": <a name or a schema>} wrapping another schema.
            result["type"] = self.walk(kind, namespace)
        if "fields" in node:
            result["fields"] = [
                {**item, "type": self.walk(item["type"], namespace)} for item in node["fields"]
            ]
        for key in ("items", "values"):
            if key in node:
                result[key] = self.walk(node[key], namespace)
        return result

    def _name(self, name: str, namespace: str | None) -> Any:
        if name in PRIMITIVES:
            return name
        full = name if "." in name or not namespace else f"{namespace}.{name}"
        if full not in self.definitions and name in self.definitions:
            full = name
        if full in self.defined or full not in self.definitions:
            return name
        return self.walk(self.definitions[full], None)


def _full_name(node: dict[str, Any], enclosing: str | None) -> str:
    name = str(node.get("name", ""))
    if "." in name:
        return name
    namespace = node.get("namespace", enclosing)
    return f"{namespace}.{name}" if namespace else name
