"""What the registry's rules need from storage. Methods take keywords, return domain objects."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from registry.model import (
    Mode,
    RegistrationState,
    RegistryConfig,
    ScopeSettings,
    StoredSchema,
    SubjectUnderLock,
    SubjectVersion,
)
from registry.schema import ParsedSchema


class DeferredWriteClash(Exception):
    """A deferred write found its schema stored meanwhile by another transaction, or its
    id taken by an import: the transaction wrote nothing, and is to be run again without
    ids set aside."""


class StoreReader(Protocol):
    """One database transaction that only reads."""

    def subject_versions(self, *, subject: str) -> list[SubjectVersion]:
        """Every stored version of ``subject``, soft-deleted ones included, ascending."""

    def latest_version(self, *, subject: str, include_deleted: bool) -> SubjectVersion | None:
        """The newest version of ``subject`` (the newest live one unless ``include_deleted``)."""

    def live_versions(self, *, subject: str) -> list[SubjectVersion]:
        """The versions of ``subject`` that are not soft-deleted, ascending."""

    def subject_version(self, *, subject: str, version: int) -> SubjectVersion | None:
        """One stored version, soft-deleted or not."""

    def all_versions(self, *, include_deleted: bool) -> list[SubjectVersion]: ...

    def versions_of_schema(
        self, *, schema_id: int, subject: str | None = None
    ) -> list[SubjectVersion]:
        """The versions holding this schema, soft-deleted ones included, by subject and
        version; only those of ``subject`` when it is given."""

    def schema_by_id(self, *, schema_id: int) -> StoredSchema | None: ...

    def schema_by_fingerprint(self, *, fingerprint: str) -> StoredSchema | None: ...

    def registration_state(self, *, subject: str, fingerprint: str) -> RegistrationState: ...

    def subject_under_lock(
        self, *, subject: str, fingerprints: Sequence[str]
    ) -> SubjectUnderLock: ...

    def schemas_by_guid(self, *, guid: str) -> list[StoredSchema]:
        """The schemas with this GUID, by id (one, unless ids were imported twice)."""

    def referencing_schema_ids(self, *, subject: str, version: int) -> list[int]: ...

    def get_config(self, *, scope: str) -> RegistryConfig | None: ...

    def get_mode(self, *, scope: str) -> Mode | None: ...

    def scope_settings(self, *, subject: str) -> ScopeSettings:
        """The configs and the modes stored for ``subject`` and for the whole registry."""


class StoreTransaction(StoreReader, Protocol):
    """One database transaction that may write; what it reads is consistent with its writes."""

    def lock_subject(self, *, subject: str) -> int:
        """Hold the subject's lock until the transaction ends (serialises its changes), and
        count this transaction as one of its changes: the count it answers is one more than
        a read before the lock saw exactly when no other change came in between."""

    def lock_subjects(self, *, subjects: Sequence[str], new_ids: int = 0) -> dict[str, int]:
        """lock_subject for each of ``subjects``, in one round trip where the database
        allows; each subject's count by name. Where ids come from a sequence, up to
        ``new_ids`` are set aside in that round trip for store_as_version."""

    def store_schema(
        self, *, schema: ParsedSchema, schema_type: str, schema_id: int | None
    ) -> StoredSchema:
        """The stored schema with this fingerprint, creating it (with a new id) if needed."""

    def insert_version(self, *, subject: str, version: int, schema_id: int) -> SubjectVersion: ...

    def store_as_version(
        self,
        *,
        subject: str,
        version: int,
        schema: ParsedSchema,
        schema_type: str,
        schema_id: int | None,
    ) -> StoredSchema:
        """store_schema, then insert_version with its id (in one round trip where the
        database allows). With an id set aside by lock_subjects, the new schema takes it
        and its writes wait to go with the transaction's next statement or its commit: a
        schema found stored by then raises DeferredWriteClash there."""

    def mark_deleted(self, *, subject: str, version: int) -> None: ...

    def remove_version(self, *, subject: str, version: int) -> None:
        """Permanently delete one version, and its schema when no version uses it any more."""

    def put_config(self, *, scope: str, config: RegistryConfig) -> None: ...

    def delete_config(self, *, scope: str) -> None: ...

    def put_mode(self, *, scope: str, mode: Mode) -> None: ...

    def delete_mode(self, *, scope: str) -> None: ...


class RegistryStore(Protocol):
    def transaction(self) -> AbstractContextManager[StoreTransaction]:
        """A read-write transaction, committed when the block exits without an error."""

    def read(self) -> AbstractContextManager[StoreReader]:
        """A read-only transaction: it never waits for a writer (nor a writer for it)."""

    def generation(self) -> int:
        """A number that changes whenever any transaction changed anything."""

    def migrate(self) -> None:
        """Create or upgrade the tables (idempotent, safe with several processes)."""

    def close(self) -> None: ...
