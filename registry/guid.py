"""A schema's GUID, computed as Confluent Schema Registry 8 computes it.

Clients that put the GUID in a record header (`header_schema_id_serializer`) resolve it with
any registry, so it has to be the same value Confluent gives the same schema: the MD5 of the
schema text, then of each reference, then of the metadata and the rule set when present, read
as the two big-endian longs of a `java.util.UUID` (no version bits are set). No library
computes it; the byte order of every part below is that of Confluent's `updateHash` methods
(`client/.../rest/entities/Schema.java`, `SchemaReference`, `Metadata`, `RuleSet`, `Rule`).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from registry.java_strings import java_order

if TYPE_CHECKING:
    from registry.schema import SchemaReference

# Marks a present metadata or rule set, so that an empty one differs from none.
_PRESENT = b"\x01"
_RULE_LISTS = ("migrationRules", "domainRules", "encodingRules")
_RULE_TEXTS = ("name", "doc", "kind", "mode", "type")
_RULE_TRAILING_TEXTS = ("expr", "onSuccess", "onFailure")


def schema_guid(
    text: str,
    references: Sequence[SchemaReference] = (),
    metadata: Mapping[str, Any] | None = None,
    rule_set: Mapping[str, Any] | None = None,
) -> str:
    """The GUID of a schema as stored: its canonical text, references, metadata, rules."""
    digest = hashlib.md5(usedforsecurity=False)
    digest.update(text.encode())
    for reference in references:
        digest.update(reference.name.encode())
        digest.update(reference.subject.encode())
        digest.update(reference.version.to_bytes(4, "big", signed=True))
    if metadata is not None:
        digest.update(_PRESENT)
        _hash_metadata(digest, metadata)
    if rule_set is not None:
        digest.update(_PRESENT)
        _hash_rule_set(digest, rule_set)
    return str(uuid.UUID(bytes=digest.digest()))


def _java_sorted(texts: Iterable[str]) -> list[str]:
    """Java's TreeMap/TreeSet order, each text once."""
    return sorted(set(texts), key=java_order)


def _hash_metadata(digest: Any, metadata: Mapping[str, Any]) -> None:
    tags = metadata.get("tags") or {}
    for key in _java_sorted(tags):
        digest.update(key.encode())
        for tag in _java_sorted(tags[key] or ()):
            digest.update(tag.encode())
    properties = metadata.get("properties") or {}
    for key in _java_sorted(properties):
        digest.update(key.encode())
        digest.update(str(properties[key]).encode())
    for sensitive in _java_sorted(metadata.get("sensitive") or ()):
        digest.update(sensitive.encode())


def _hash_rule_set(digest: Any, rule_set: Mapping[str, Any]) -> None:
    for key in _RULE_LISTS:
        for rule in rule_set.get(key) or ():
            _hash_rule(digest, rule)
    enable_at = rule_set.get("enableAt")
    if enable_at is not None:
        digest.update(str(enable_at).encode())


def _hash_rule(digest: Any, rule: Mapping[str, Any]) -> None:
    for key in _RULE_TEXTS:
        if rule.get(key) is not None:
            digest.update(str(rule[key]).encode())
    for tag in _java_sorted(rule.get("tags") or ()):
        digest.update(tag.encode())
    params = rule.get("params") or {}
    for key in _java_sorted(params):
        digest.update(key.encode())
        digest.update(str(params[key]).encode())
    for key in _RULE_TRAILING_TEXTS:
        if rule.get(key) is not None:
            digest.update(str(rule[key]).encode())
    if rule.get("disabled") is True:
        digest.update(_PRESENT)
