"""The registry's rules for subjects, versions and schemas (no HTTP, no SQL).

Behaviour follows Confluent Schema Registry: ids are shared across subjects, versions count
on after soft deletes, a permanent delete needs a soft delete first, and a schema that is
already registered is returned without a compatibility check.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from contract import compatibility
from contract.compatibility import CompatibilityLevel, CompatibilityResult, ExistingSchema
from contract.schema_types import AVRO
from registry.catalog import SchemaCatalog
from registry.configuration import (
    SubjectRules,
    refuse_if_read_only,
    rules_of,
    subject_rules,
)
from registry.errors import (
    AmbiguousFieldsError,
    ImportedUnderOtherIdError,
    ImportVersionExistsError,
    IncompatibleSchemaError,
    NotImportModeError,
    NotReadWriteModeError,
    OverwriteSchemaError,
    ReadOnlyModeError,
    ReferenceExistsError,
    SchemaNotFoundError,
    SubjectNotFoundError,
    SubjectNotSoftDeletedError,
    SubjectSoftDeletedError,
    VersionNotFoundError,
    VersionNotNextError,
    VersionNotSoftDeletedError,
    VersionSoftDeletedError,
)
from registry.formats import asks_resolved, formatted
from registry.generation_cache import GenerationCache
from registry.group_commit import GroupCommit, NewSchemas, SubjectInGroup, Turn
from registry.lookup import SchemaLookup, holders, newest_holder
from registry.model import (
    LATEST,
    MAX_INT,
    Mode,
    RegisteredVersion,
    RegistrationState,
    SchemaRequest,
    StoredSchema,
    SubjectVersion,
    check_subject,
    resolve_version,
)
from registry.schema import (
    ParsedSchema,
)
from registry.schema_types import check_compatibility, formatted_text, has_format
from registry.storage import RegistryStore, StoreReader, StoreTransaction


@dataclass(frozen=True)
class _EarlyCheck:
    """A compatibility result, and the versions it was checked against."""

    against: list[SubjectVersion]
    result: CompatibilityResult


@dataclass(frozen=True)
class _Seen:
    """What a registration read and decided before taking the subject's lock."""

    state: RegistrationState
    # The versions of the subject holding the schema, when it is stored already.
    holding: list[SubjectVersion]
    checked: _EarlyCheck | None


class RegistryService:
    def __init__(self, store: RegistryStore, *, default_level: CompatibilityLevel) -> None:
        self.store = store
        self.default_level = default_level
        self.catalog = SchemaCatalog()
        self._lookup = SchemaLookup(store, self.catalog)
        self._group_commit = GroupCommit(store)
        self._holders: GenerationCache[tuple[int, str | None], SubjectVersion | None] = (
            GenerationCache(store, maxsize=4096)
        )

    # -- register and look up -------------------------------------------------------------

    def register(
        self, subject: str, request: SchemaRequest, *, normalize: bool
    ) -> RegisteredVersion:
        """POST /subjects/{subject}/versions."""
        check_subject(subject)
        # Parse, and answer a schema that is already there, before taking the subject's
        # lock: most registrations are serializers registering their schema again. The
        # rules are read here too: config and mode changes do not take the subject's lock,
        # so reading them under it would order nothing.
        with self.store.read() as tx:
            # Parsed as asked before the rules are known, and read with them in one round
            # trip; parsed again in the rare case that the subject's config normalizes.
            parsed = self.catalog.parse_request(tx, request, normalize=normalize)
            state = tx.registration_state(subject=subject, fingerprint=parsed.fingerprint)
            rules = rules_of(state.settings, subject, self.default_level)
            if rules.normalize and not normalize:
                parsed = self.catalog.parse_request(tx, request, normalize=True)
                state = tx.registration_state(subject=subject, fingerprint=parsed.fingerprint)
            self.catalog.offer(state.newest_schema)
            holding = holders(tx, subject, state.known)
            found = _repeated(request, subject, state.known, holding)
            if found is not None:
                return found
            self._check_register_mode(subject, rules.mode, request)
            # The check is most of a new version's work: done here, it does not hold up the
            # subject's other writers (on SQLite, every writer). Under the lock it is only
            # redone if the versions to check against changed meanwhile, as they will when
            # another registration of the subject is queued ahead: then it waits for that.
            checked = (
                None
                if self._group_commit.queued(subject)
                else self._early_check(tx, subject, rules.level, request, parsed, state.newest)
            )
        seen = _Seen(state, holding, checked)
        registered = self._group_commit.run(
            subject,
            lambda tx, turn: self._add_version(tx, turn, subject, request, parsed, rules, seen),
            fingerprint=parsed.fingerprint,
        )
        self.catalog.remember(registered.schema, parsed)
        return registered

    def _add_version(
        self,
        tx: StoreTransaction,
        turn: Turn,
        subject: str,
        request: SchemaRequest,
        parsed: ParsedSchema,
        rules: SubjectRules,
        seen: _Seen,
    ) -> RegisteredVersion:
        """The new version, under the subject's lock; refusals come before any write."""
        known, newest, holding = _under_lock(tx, turn.subject, subject, parsed, seen)
        if turn.subject.read is not None and turn.subject.read_at == 0:
            # Read before the group added to the subject: a committed schema. (The catalog
            # keeps only those: on SQLite, a rolled back id is handed out again.)
            self.catalog.offer(turn.subject.read.newest_schema)
        found = _repeated(request, subject, known, holding)
        if found is not None:
            return found
        checked = seen.checked
        new_version = (newest.version if newest is not None else 0) + 1
        if request.version is not None and request.version != LATEST:
            if rules.mode is Mode.IMPORT:
                if tx.subject_version(subject=subject, version=request.version) is not None:
                    raise ImportVersionExistsError(subject, request.version)
                new_version = request.version
            elif request.version != new_version:
                raise VersionNotNextError()
        if request.id is not None:
            self._check_import_id(tx, parsed, known, request.id)
        else:
            against = self._checked_versions(tx, subject, rules.level, newest)
            result = (
                checked.result
                if checked is not None and checked.against == against
                else self._check(tx, parsed, against, rules.level, turn.new_schemas)
            )
            if not result.is_compatible:
                raise IncompatibleSchemaError(subject, result.messages())
        if known is not None:
            stored = known
            tx.insert_version(subject=subject, version=new_version, schema_id=stored.id)
        else:
            stored = tx.store_as_version(
                subject=subject,
                version=new_version,
                schema=parsed,
                schema_type=parsed.schema_type,
                schema_id=request.id,
            )
            turn.new_schemas[stored.id] = (stored, parsed)
        # Confluent drops a soft-deleted version of a schema once it is registered anew.
        for old in holding:
            if old.deleted and not self._referenced(tx, old):
                tx.remove_version(subject=subject, version=old.version)
                turn.subject.only_added = False
        registered = RegisteredVersion(subject, new_version, stored)
        turn.subject.added.append(registered)
        return registered

    def _early_check(
        self,
        tx: StoreReader,
        subject: str,
        level: CompatibilityLevel,
        request: SchemaRequest,
        parsed: ParsedSchema,
        newest: SubjectVersion | None,
    ) -> _EarlyCheck | None:
        if request.id is not None or request.version not in (None, LATEST):
            return None  # an import is not checked; a given version is checked first
        against = self._checked_versions(tx, subject, level, newest)
        return _EarlyCheck(against, self._check(tx, parsed, against, level))

    @staticmethod
    def _checked_versions(
        tx: StoreReader,
        subject: str,
        level: CompatibilityLevel,
        newest: SubjectVersion | None,
    ) -> list[SubjectVersion]:
        """The live versions a new schema is checked against at ``level``, oldest first:
        none, the latest, or (transitive levels) all."""
        if level is CompatibilityLevel.NONE:
            return []
        if level.transitive:
            return tx.live_versions(subject=subject)
        if newest is None or newest.deleted:
            newest = tx.latest_version(subject=subject, include_deleted=False)
        return [newest] if newest is not None else []

    @staticmethod
    def _check_register_mode(subject: str, mode: Mode, request: SchemaRequest) -> None:
        if mode.read_only:
            raise ReadOnlyModeError(subject)
        if mode is Mode.IMPORT and request.id is None:
            raise NotReadWriteModeError(subject)
        if mode is not Mode.IMPORT and request.id is not None:
            raise NotImportModeError(subject)

    @staticmethod
    def _check_import_id(
        tx: StoreTransaction, parsed: ParsedSchema, known: StoredSchema | None, schema_id: int
    ) -> None:
        holder = tx.schema_by_id(schema_id=schema_id)
        if holder is not None and holder.fingerprint != parsed.fingerprint:
            raise OverwriteSchemaError(schema_id)
        if known is not None and known.id != schema_id:
            raise ImportedUnderOtherIdError(known.id, schema_id)

    def lookup(
        self, subject: str, request: SchemaRequest, *, normalize: bool, deleted: bool
    ) -> RegisteredVersion:
        """POST /subjects/{subject}: the version of ``subject`` holding this schema."""
        return self._lookup.lookup(subject, request, normalize=normalize, deleted=deleted)

    # -- compatibility ----------------------------------------------------------------------

    def test_compatibility(
        self, subject: str, version: int | None, request: SchemaRequest, *, normalize: bool
    ) -> CompatibilityResult:
        """POST /compatibility/subjects/{subject}/versions[/{version}]."""
        with self.store.read() as tx:
            rules = subject_rules(tx, subject, self.default_level)
            parsed = self.catalog.parse_request(tx, request, normalize=normalize or rules.normalize)
            level = rules.level
            if version is None:
                newest = tx.latest_version(subject=subject, include_deleted=False)
                return self._check(
                    tx, parsed, self._checked_versions(tx, subject, level, newest), level
                )
            if version == LATEST:
                latest = tx.latest_version(subject=subject, include_deleted=False)
                return self._check(tx, parsed, [latest] if latest else [], level)
            chosen = tx.subject_version(subject=subject, version=version)
            if chosen is None or chosen.deleted:
                raise VersionNotFoundError(version)
            return self._check(tx, parsed, [chosen], level)

    def _check(
        self,
        tx: StoreReader,
        parsed: ParsedSchema,
        live: Sequence[SubjectVersion],
        level: CompatibilityLevel,
        new_schemas: NewSchemas | None = None,
    ) -> CompatibilityResult:
        existing = []
        for version in live:
            stored, parsed_version = (new_schemas or {}).get(version.schema_id) or (
                self._catalogued(tx, version.schema_id)
            )
            existing.append(ExistingSchema(version.version, parsed_version, stored.text))
        try:
            return check_compatibility(parsed, existing, level)
        except compatibility.AmbiguousFieldError as error:
            raise AmbiguousFieldsError(str(error)) from error

    def _catalogued(self, tx: StoreReader, schema_id: int) -> tuple[StoredSchema, ParsedSchema]:
        stored = self.catalog.stored(tx, schema_id)
        return stored, self.catalog.parsed(tx, stored)

    # -- reads -------------------------------------------------------------------------------

    def get_version(self, subject: str, version: int, *, deleted: bool) -> RegisteredVersion:
        """GET /subjects/{subject}/versions/{version}."""
        with self.store.read() as tx:
            found = resolve_version(tx.subject_versions(subject=subject), subject, version, deleted)
            return RegisteredVersion.stored(found, self.catalog.stored(tx, found.schema_id))

    def list_versions(self, subject: str, *, deleted: bool, deleted_only: bool) -> list[int]:
        with self.store.read() as tx:
            versions = tx.subject_versions(subject=subject)
        chosen = [v.version for v in versions if _visible(v, deleted, deleted_only)]
        if not chosen:
            raise SubjectNotFoundError(subject)
        return chosen

    def list_subjects(self, *, prefix: str | None, deleted: bool, deleted_only: bool) -> list[str]:
        with self.store.read() as tx:
            versions = tx.all_versions(include_deleted=True)
        live = {v.subject for v in versions if not v.deleted}
        every = {v.subject for v in versions}
        if deleted_only:
            chosen = every - live
        elif deleted:
            chosen = every
        else:
            chosen = live
        if prefix and prefix != ":*:":
            chosen = {subject for subject in chosen if subject.startswith(prefix)}
        return sorted(chosen)

    def schema_by_id(self, schema_id: int) -> StoredSchema:
        """GET /schemas/ids/{id}; cached, as an id never changes its schema."""
        if not 0 < schema_id <= MAX_INT:
            raise SchemaNotFoundError(schema_id)
        cached = self.catalog.cached(schema_id)
        if cached is not None:
            return cached
        with self.store.read() as tx:
            return self.catalog.stored(tx, schema_id)

    def formatted_text(self, schema: StoredSchema, fmt: str | None) -> str:
        """The schema's text in the `format` asked for (Avro's `resolved`: references
        inlined; Protobuf's `serialized`: its descriptor in base64); the text as stored for
        a format the schema's type lacks."""
        if fmt and has_format(schema.schema_type, fmt):
            with self.store.read() as tx:
                return formatted_text(self.catalog.parsed(tx, schema), fmt)
        if schema.schema_type != AVRO or not schema.references or not asks_resolved(fmt):
            return schema.text
        with self.store.read() as tx:
            return formatted(schema.text, self.catalog.resolve(tx, schema.references), fmt)

    def holder_of(self, schema_id: int, subject: str | None) -> SubjectVersion | None:
        """The version a by-id answer speaks for: the hinted subject's, else the first.

        Cached until anything changes: by-id reads are what deserializers make.
        """

        def holder() -> SubjectVersion | None:
            versions = self.versions_of_schema(schema_id, deleted=True)
            hinted = (v for v in versions if v.subject == subject)
            return next(hinted, next(iter(versions), None))

        return self._holders.get((schema_id, subject), holder)

    def schema_by_guid(self, guid: str) -> tuple[StoredSchema, SubjectVersion | None]:
        """GET /schemas/guids/{guid}: the schema and the version its answer speaks for."""
        canonical = _canonical_guid(guid)
        found = []
        if canonical is not None:
            with self.store.read() as tx:
                found = tx.schemas_by_guid(guid=canonical)
        if not found:
            raise SchemaNotFoundError(guid)
        return found[0], self.holder_of(found[0].id, None)

    def ids_of_guid(self, guid: str) -> list[int]:
        """GET /schemas/guids/{guid}/ids: every id of the schema; none for an unknown GUID."""
        canonical = _canonical_guid(guid)
        if canonical is None:
            return []
        with self.store.read() as tx:
            return [schema.id for schema in tx.schemas_by_guid(guid=canonical)]

    def versions_of_schema(self, schema_id: int, *, deleted: bool) -> list[SubjectVersion]:
        if not 0 < schema_id <= MAX_INT:
            raise SchemaNotFoundError()
        with self.store.read() as tx:
            if tx.schema_by_id(schema_id=schema_id) is None:
                raise SchemaNotFoundError()
            return [
                v for v in tx.versions_of_schema(schema_id=schema_id) if deleted or not v.deleted
            ]

    def list_schemas(
        self, *, prefix: str | None, deleted: bool, latest_only: bool
    ) -> list[RegisteredVersion]:
        with self.store.read() as tx:
            versions = tx.all_versions(include_deleted=deleted)
            if prefix:
                versions = [v for v in versions if v.subject.startswith(prefix)]
            if latest_only:
                newest: dict[str, SubjectVersion] = {}
                for version in versions:
                    newest[version.subject] = version
                versions = list(newest.values())
            return [
                RegisteredVersion.stored(v, self.catalog.stored(tx, v.schema_id)) for v in versions
            ]

    def referenced_by(self, subject: str, version: int) -> list[int]:
        with self.store.read() as tx:
            found = resolve_version(tx.subject_versions(subject=subject), subject, version, False)
            return tx.referencing_schema_ids(subject=subject, version=found.version)

    # -- deletes -----------------------------------------------------------------------------

    def delete_version(self, subject: str, version: int, *, permanent: bool) -> int:
        """DELETE /subjects/{subject}/versions/{version}[?permanent=true]."""
        with self.store.transaction() as tx:
            tx.lock_subject(subject=subject)
            refuse_if_read_only(tx, subject)
            versions = tx.subject_versions(subject=subject)
            if not versions:
                raise SubjectNotFoundError(subject)
            if version == LATEST:
                live = [v for v in versions if not v.deleted]
                if not live:
                    raise SubjectNotFoundError(subject)
                target = live[-1]
            else:
                matches = [v for v in versions if v.version == version]
                if not matches:
                    raise VersionNotFoundError(version)
                target = matches[0]
            if self._referenced(tx, target, live_only=not permanent):
                raise ReferenceExistsError(subject, target.version)
            if not permanent:
                if target.deleted:
                    raise VersionSoftDeletedError(subject, target.version)
                tx.mark_deleted(subject=subject, version=target.version)
                return target.version
            if not target.deleted:
                raise VersionNotSoftDeletedError(subject, target.version)
            tx.remove_version(subject=subject, version=target.version)
            if len(versions) == 1:
                tx.delete_config(scope=subject)
                tx.delete_mode(scope=subject)
            self.catalog.forget(target.schema_id)
            return target.version

    def delete_subject(self, subject: str, *, permanent: bool) -> list[int]:
        """DELETE /subjects/{subject}[?permanent=true]."""
        with self.store.transaction() as tx:
            tx.lock_subject(subject=subject)
            refuse_if_read_only(tx, subject)
            versions = tx.subject_versions(subject=subject)
            if not versions:
                raise SubjectNotFoundError(subject)
            live = [v for v in versions if not v.deleted]
            if not permanent and not live:
                raise SubjectSoftDeletedError(subject)
            if permanent and live:
                raise SubjectNotSoftDeletedError(subject)
            for version in versions:
                if self._referenced(tx, version, live_only=not permanent):
                    raise ReferenceExistsError(subject, version.version)
            if not permanent:
                for version in live:
                    tx.mark_deleted(subject=subject, version=version.version)
                return [version.version for version in live]
            for version in versions:
                tx.remove_version(subject=subject, version=version.version)
                self.catalog.forget(version.schema_id)
            tx.delete_config(scope=subject)
            tx.delete_mode(scope=subject)
            return [version.version for version in versions]

    def _referenced(
        self, tx: StoreTransaction, version: SubjectVersion, *, live_only: bool = True
    ) -> bool:
        """True when another schema still uses this version as a reference."""
        for schema_id in tx.referencing_schema_ids(
            subject=version.subject, version=version.version
        ):
            users = tx.versions_of_schema(schema_id=schema_id)
            if any(not (live_only and user.deleted) for user in users):
                return True
        return False


def _repeated(
    request: SchemaRequest, subject: str, known: StoredSchema | None, versions: list[SubjectVersion]
) -> RegisteredVersion | None:
    """The live version already holding the schema, when the request may be answered with
    it: Confluent returns a schema registered again without a compatibility check."""
    if known is None or request.id not in (None, known.id) or request.version not in (None, LATEST):
        return None
    return newest_holder(subject, known, versions, deleted=False)


def _under_lock(
    tx: StoreTransaction, in_group: SubjectInGroup, subject: str, parsed: ParsedSchema, seen: _Seen
) -> tuple[StoredSchema | None, SubjectVersion | None, list[SubjectVersion]]:
    """The stored schema, the subject's newest version and the schema's versions in the
    subject, as a registration holding the subject's lock sees them."""
    fingerprint = parsed.fingerprint
    if not in_group.only_added:
        # The group removed a version (rare): this registration reads what it needs alone.
        state = tx.registration_state(subject=subject, fingerprint=fingerprint)
        return state.known, state.newest, holders(tx, subject, state.known)
    if in_group.changes == seen.state.subject_changes + 1:
        # Since it was read, only this group changed the subject, by adding versions. (The
        # schema may have been stored meanwhile under another subject: storing it again
        # finds it.)
        known, newest, added = _with_added(
            seen.state.known, seen.state.newest, in_group.added, fingerprint
        )
        return known, newest, [*seen.holding, *added]
    # Another transaction changed the subject since it was read: read it again, once for
    # all of the group's registrations of it. (Its holders, read now, include the group's.)
    if in_group.read is None:
        in_group.read = tx.subject_under_lock(subject=subject, fingerprints=in_group.fingerprints)
        in_group.read_at = len(in_group.added)
    known, newest, _ = _with_added(
        in_group.read.known.get(fingerprint),
        in_group.read.newest,
        in_group.added[in_group.read_at :],
        fingerprint,
    )
    return known, newest, holders(tx, subject, known)


def _with_added(
    known: StoredSchema | None,
    newest: SubjectVersion | None,
    added: list[RegisteredVersion],
    fingerprint: str,
) -> tuple[StoredSchema | None, SubjectVersion | None, list[SubjectVersion]]:
    """The stored schema and the newest version once ``added`` followed them, and those of
    ``added`` that hold the schema."""
    holding = []
    for version in added:
        newest = SubjectVersion(version.subject, version.version, version.schema.id)
        if version.schema.fingerprint == fingerprint:
            known = version.schema
            holding.append(newest)
    return known, newest, holding


def _canonical_guid(text: str) -> str | None:
    """A GUID as stored, from any spelling `java.util.UUID` or hex reads; None if neither."""
    try:
        return str(uuid.UUID(text.strip()))
    except ValueError:
        return None


def _visible(version: SubjectVersion, deleted: bool, deleted_only: bool) -> bool:
    if deleted_only:
        return version.deleted
    return deleted or not version.deleted
