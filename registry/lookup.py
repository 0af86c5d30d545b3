"""POST /subjects/{subject}: which version of a subject holds a schema.

Serializers look their schema up at start; with many producers that is the hottest read.
A schema is found by its fingerprint and the versions holding it (indexed queries, whatever
the subject's history), and for a schema without references the answer is kept until the
store changes.
"""

from __future__ import annotations

import json

from registry.catalog import SchemaCatalog
from registry.configuration import effective_normalize
from registry.errors import SchemaNotFoundError, SubjectNotFoundError
from registry.generation_cache import GenerationCache
from registry.model import RegisteredVersion, SchemaRequest, StoredSchema, SubjectVersion
from registry.schema_types import normalized_text
from registry.storage import RegistryStore, StoreReader

# subject, schema text, metadata, rule set, normalize, deleted
_Key = tuple[str, str, str, str, str, bool, bool]


class SchemaLookup:
    def __init__(self, store: RegistryStore, catalog: SchemaCatalog) -> None:
        self.store = store
        self.catalog = catalog
        self._answers: GenerationCache[_Key, RegisteredVersion | None] = GenerationCache(
            store, maxsize=4096
        )

    def lookup(
        self, subject: str, request: SchemaRequest, *, normalize: bool, deleted: bool
    ) -> RegisteredVersion:
        """The newest version of ``subject`` holding the schema (a live one unless
        ``deleted``); 40401 for a subject without such versions, 40403 for no match."""
        if not request.references:
            found = self._answers.get(
                _key(subject, request, normalize=normalize, deleted=deleted),
                lambda: self._by_fingerprint(subject, request, normalize, deleted),
            )
            if found is not None:
                return found
        with self.store.read() as tx:
            parsed = self.catalog.parse_request(
                tx, request, normalize=normalize or effective_normalize(tx, subject)
            )
            if tx.latest_version(subject=subject, include_deleted=deleted) is None:
                raise SubjectNotFoundError(subject)
            known = tx.schema_by_fingerprint(fingerprint=parsed.fingerprint)
            found = newest_holder(subject, known, holders(tx, subject, known), deleted=deleted)
            if found is not None:
                return found
            # Second chance: the same schema written with other namespaces or key order.
            wanted = (parsed.schema_type, normalized_text(parsed))
            visible = [v for v in tx.subject_versions(subject=subject) if deleted or not v.deleted]
            for version in reversed(visible):
                stored = self.catalog.stored(tx, version.schema_id)
                candidate = self.catalog.parsed(tx, stored)
                if (candidate.schema_type, normalized_text(candidate)) == wanted:
                    return RegisteredVersion(subject, version.version, stored, version.deleted)
        raise SchemaNotFoundError()

    def _by_fingerprint(
        self, subject: str, request: SchemaRequest, normalize: bool, deleted: bool
    ) -> RegisteredVersion | None:
        """A schema without references found by its fingerprint alone; None when that does
        not find it (the full lookup then says why, or tries harder)."""
        with self.store.read() as tx:
            parsed = self.catalog.parse_plain(
                request, normalize=normalize or effective_normalize(tx, subject)
            )
            known = tx.schema_by_fingerprint(fingerprint=parsed.fingerprint)
            return newest_holder(subject, known, holders(tx, subject, known), deleted=deleted)


def holders(tx: StoreReader, subject: str, known: StoredSchema | None) -> list[SubjectVersion]:
    """The versions of ``subject`` holding ``known``, soft-deleted ones included, ascending."""
    if known is None:
        return []
    return tx.versions_of_schema(schema_id=known.id, subject=subject)


def newest_holder(
    subject: str, known: StoredSchema | None, versions: list[SubjectVersion], *, deleted: bool
) -> RegisteredVersion | None:
    """The newest of ``versions`` holding ``known`` (a live one unless ``deleted``)."""
    visible = [version for version in versions if deleted or not version.deleted]
    if known is None or not visible:
        return None
    return RegisteredVersion(subject, visible[-1].version, known, visible[-1].deleted)


def _key(subject: str, request: SchemaRequest, *, normalize: bool, deleted: bool) -> _Key:
    return (
        subject,
        request.schema_type.upper(),
        request.schema or "",
        json.dumps(request.metadata, sort_keys=True),
        json.dumps(request.rule_set, sort_keys=True),
        normalize,
        deleted,
    )
