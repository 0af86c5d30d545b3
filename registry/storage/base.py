"""What the registry's rules need from storage. Methods take keywords, return domain objects."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from registry.model import Mode, RegistryConfig, StoredSchema, SubjectVersion
from registry.schema import ParsedSchema


class StoreTransaction(Protocol):
    """One database transaction; everything read inside it is consistent with its writes."""

    def lock_subject(self, *, subject: str) -> None:
        """Hold the subject's lock until the transaction ends (serialises its changes)."""

    def subject_versions(self, *, subject: str) -> list[SubjectVersion]:
        """Every stored version of ``subject``, soft-deleted ones included, ascending."""

    def all_versions(self, *, include_deleted: bool) -> list[SubjectVersion]: ...

    def versions_of_schema(self, *, schema_id: int) -> list[SubjectVersion]: ...

    def schema_by_id(self, *, schema_id: int) -> StoredSchema | None: ...

    def schema_by_fingerprint(self, *, fingerprint: str) -> StoredSchema | None: ...

    def schemas_by_guid(self, *, guid: str) -> list[StoredSchema]:
        """The schemas with this GUID, by id (one, unless ids were imported twice)."""

    def store_schema(
        self, *, schema: ParsedSchema, schema_type: str, schema_id: int | None
    ) -> StoredSchema:
        """The stored schema with this fingerprint, creating it (with a new id) if needed."""

    def insert_version(self, *, subject: str, version: int, schema_id: int) -> SubjectVersion: ...

    def mark_deleted(self, *, subject: str, version: int) -> None: ...

    def remove_version(self, *, subject: str, version: int) -> None:
        """Permanently delete one version, and its schema when no version uses it any more."""

    def referencing_schema_ids(self, *, subject: str, version: int) -> list[int]: ...

    def get_config(self, *, scope: str) -> RegistryConfig | None: ...

    def put_config(self, *, scope: str, config: RegistryConfig) -> None: ...

    def delete_config(self, *, scope: str) -> None: ...

    def get_mode(self, *, scope: str) -> Mode | None: ...

    def put_mode(self, *, scope: str, mode: Mode) -> None: ...

    def delete_mode(self, *, scope: str) -> None: ...


class RegistryStore(Protocol):
    def transaction(self) -> AbstractContextManager[StoreTransaction]:
        """A read-write transaction, committed when the block exits without an error."""

    def generation(self) -> int:
        """A number that changes whenever any transaction changed anything."""

    def migrate(self) -> None:
        """Create or upgrade the tables (idempotent, safe with several processes)."""

    def close(self) -> None: ...
