"""Schemas by id and their parsed form, cached in process.

An id always names the same schema, so these entries never go stale; only a permanent
delete removes one (`forget`), and a process that did not do the delete may keep serving
the text of a deleted id, which harms no reader.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence

from cachetools import LRUCache

from registry.errors import (
    EmptySchemaError,
    ReferenceCycleError,
    ReferenceNotFoundError,
    SchemaNotFoundError,
)
from registry.model import LATEST, SchemaRequest, StoredSchema
from registry.schema import ParsedSchema, ParseOptions, ResolvedReference, SchemaReference
from registry.schema_types import parse_schema, schema_type_of
from registry.storage import StoreReader

_MAX_REFERENCE_DEPTH = 32
PARSED_SCHEMAS = 1000


class SchemaCatalog:
    def __init__(self) -> None:
        # cachetools caches are not thread-safe; gunicorn's threads share this catalog.
        self._lock = threading.Lock()
        self._by_id: LRUCache[int, StoredSchema] = LRUCache(16384)
        # Parsed schemas are some 30 objects each, every one walked by each full collection
        # of the garbage collector: at 5,000 of them its pauses reached 200 ms. 1,000 is
        # Confluent's own default (schema.cache.size); a miss costs a parse of well under
        # a millisecond.
        self._parsed: LRUCache[int, ParsedSchema] = LRUCache(PARSED_SCHEMAS)
        self._requests: LRUCache[tuple[str, str, bool, str, str], ParsedSchema] = LRUCache(
            PARSED_SCHEMAS
        )

    def cached(self, schema_id: int) -> StoredSchema | None:
        with self._lock:
            return self._by_id.get(schema_id)

    def stored(self, tx: StoreReader, schema_id: int) -> StoredSchema:
        """The schema with this id; 40403 when there is none."""
        cached = self.cached(schema_id)
        if cached is not None:
            return cached
        stored = tx.schema_by_id(schema_id=schema_id)
        if stored is None:
            raise SchemaNotFoundError(schema_id)
        with self._lock:
            self._by_id[schema_id] = stored
        return stored

    def offer(self, stored: StoredSchema | None) -> None:
        """A schema read with something else: later reads by its id need not fetch it."""
        if stored is not None:
            with self._lock:
                self._by_id.setdefault(stored.id, stored)

    def forget(self, schema_id: int) -> None:
        with self._lock:
            self._by_id.pop(schema_id, None)
            self._parsed.pop(schema_id, None)

    def remember(self, stored: StoredSchema, parsed: ParsedSchema) -> None:
        """A schema just registered from ``parsed``: later checks need not parse it again."""
        with self._lock:
            self._by_id[stored.id] = stored
            if stored.id not in self._parsed:
                self._parsed[stored.id] = parsed

    def parsed(self, tx: StoreReader, stored: StoredSchema) -> ParsedSchema:
        with self._lock:
            cached = self._parsed.get(stored.id)
        if cached is not None:
            return cached
        parsed = parse_schema(
            stored.schema_type,
            stored.text,
            ParseOptions(
                references=self.resolve(tx, stored.references),
                metadata=stored.metadata,
                rule_set=stored.rule_set,
            ),
        )
        with self._lock:
            self._parsed[stored.id] = parsed
        return parsed

    def parse_request(
        self, tx: StoreReader, request: SchemaRequest, *, normalize: bool
    ) -> ParsedSchema:
        if not request.references:
            return self.parse_plain(request, normalize=normalize)
        _check_request(request)
        # Not cached: what a (subject, version) names can change after a permanent delete.
        return parse_schema(
            request.schema_type,
            request.schema or "",
            ParseOptions(
                references=self.resolve(tx, request.references),
                normalize=normalize,
                metadata=request.metadata,
                rule_set=request.rule_set,
            ),
        )

    def parse_plain(self, request: SchemaRequest, *, normalize: bool) -> ParsedSchema:
        """A schema without references. Cached: serializers send the same text again and
        again, and parsing is most of a lookup's cost."""
        _check_request(request)
        key = (
            request.schema_type.upper(),
            request.schema or "",
            normalize,
            json.dumps(request.metadata, sort_keys=True),
            json.dumps(request.rule_set, sort_keys=True),
        )
        with self._lock:
            cached = self._requests.get(key)
        if cached is not None:
            return cached
        parsed = parse_schema(
            request.schema_type,
            request.schema or "",
            ParseOptions(normalize=normalize, metadata=request.metadata, rule_set=request.rule_set),
        )
        with self._lock:
            self._requests[key] = parsed
        return parsed

    def resolve(
        self, tx: StoreReader, references: Sequence[SchemaReference], *, depth: int = 0
    ) -> tuple[ResolvedReference, ...]:
        """The texts that references name, depth first; 42201 for a missing one."""
        if depth > _MAX_REFERENCE_DEPTH:
            raise ReferenceCycleError()
        resolved = []
        for reference in references:
            if reference.version == LATEST:
                found = tx.latest_version(subject=reference.subject, include_deleted=False)
            else:
                found = tx.subject_version(subject=reference.subject, version=reference.version)
            if found is None:
                raise ReferenceNotFoundError(reference.subject, reference.version)
            stored = self.stored(tx, found.schema_id)
            nested = self.resolve(tx, stored.references, depth=depth + 1)
            resolved.append(ResolvedReference(reference=reference, text=stored.text, nested=nested))
        return tuple(resolved)


def _check_request(request: SchemaRequest) -> None:
    schema_type_of(request.schema_type)
    if request.schema is None:
        raise EmptySchemaError()
