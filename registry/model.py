"""The registry's vocabulary: subjects, versions, stored schemas, config and mode."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from registry.errors import (
    InvalidModeError,
    InvalidSubjectError,
    InvalidVersionError,
    SubjectNotFoundError,
    VersionNotFoundError,
)
from registry.schema import SchemaReference

# Scope key under which registry-wide config and mode are stored.
GLOBAL_SCOPE = ""
LATEST = -1
# Ids and versions are Java ints in Confluent, and INTEGER columns here.
MAX_INT = 2**31 - 1
_MAX_VERSION = MAX_INT
_RESERVED_SUBJECTS = frozenset({"__GLOBAL", "__EMPTY"})


class Mode(StrEnum):
    READWRITE = "READWRITE"
    READONLY = "READONLY"
    READONLY_OVERRIDE = "READONLY_OVERRIDE"
    IMPORT = "IMPORT"

    @classmethod
    def parse(cls, text: object) -> Mode:
        if isinstance(text, str):
            try:
                return cls(text.strip().upper())
            except ValueError:
                pass
        raise InvalidModeError()

    @property
    def read_only(self) -> bool:
        return self in (Mode.READONLY, Mode.READONLY_OVERRIDE)


def parse_version(text: str) -> int:
    """A version path segment: "latest" or -1 (→ LATEST), or 1 … 2^31-1; else 42202."""
    cleaned = text.strip()
    if cleaned.lower() == "latest":
        return LATEST
    try:
        number = int(cleaned)
    except ValueError:
        raise InvalidVersionError(text) from None
    if number == LATEST or 1 <= number <= _MAX_VERSION:
        return number
    raise InvalidVersionError(text)


def check_subject(subject: str) -> str:
    """Subjects are free text, as in Confluent, but not control characters or reserved words."""
    if subject in _RESERVED_SUBJECTS or any(ord(char) < 32 for char in subject):
        raise InvalidSubjectError(subject)
    return subject


@dataclass(frozen=True)
class SchemaRequest:
    """The body of register, lookup and compatibility requests."""

    schema: str | None
    schema_type: str = "AVRO"
    references: tuple[SchemaReference, ...] = ()
    metadata: dict[str, Any] | None = None
    rule_set: dict[str, Any] | None = None
    version: int | None = None
    id: int | None = None


@dataclass(frozen=True)
class StoredSchema:
    """A schema as stored: the id clients embed in records and its canonical text."""

    id: int
    fingerprint: str
    schema_type: str
    text: str
    guid: str
    references: tuple[SchemaReference, ...] = ()
    metadata: dict[str, Any] | None = None
    rule_set: dict[str, Any] | None = None


@dataclass(frozen=True)
class SubjectVersion:
    subject: str
    version: int
    schema_id: int
    deleted: bool = False
    # When the version was stored, in epoch milliseconds: Confluent 8's `ts`. Not part of
    # what a version is, so two reads of one version compare equal.
    ts: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class RegisteredVersion:
    """A version of a subject with its schema, as register, lookup and reads answer."""

    subject: str
    version: int
    schema: StoredSchema
    deleted: bool = False
    # Set when the answer is read from the stored version, as Confluent's `ts` is.
    ts: int | None = None

    @classmethod
    def stored(cls, version: SubjectVersion, schema: StoredSchema) -> RegisteredVersion:
        return cls(version.subject, version.version, schema, version.deleted, version.ts)


@dataclass(frozen=True)
class RegistryConfig:
    """Compatibility configuration of a subject or of the registry.

    ``compatibility`` may be None for a stored config that sets only other keys; ``extra``
    keeps what newer clients send (normalize, validateFields, defaultMetadata…) verbatim.
    """

    compatibility: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = dict(self.extra)
        if self.compatibility is not None:
            body["compatibility"] = self.compatibility
        return body

    @property
    def normalize(self) -> bool:
        return bool(self.extra.get("normalize", False))


def resolve_version(
    versions: Sequence[SubjectVersion], subject: str, version: int, deleted: bool
) -> SubjectVersion:
    """A version number or LATEST → the stored version; 40401/40402 as Confluent answers."""
    live = [v for v in versions if not v.deleted]
    if not versions or (not live and not deleted):
        raise SubjectNotFoundError(subject)
    if version == LATEST:
        if not live:
            raise VersionNotFoundError(version)
        return live[-1]
    for candidate in versions:
        if candidate.version == version and (deleted or not candidate.deleted):
            return candidate
    raise VersionNotFoundError(version)


@dataclass(frozen=True)
class ScopeSettings:
    """The configs and modes stored for a subject and for the whole registry, by scope."""

    configs: dict[str, RegistryConfig]
    modes: dict[str, Mode]


@dataclass(frozen=True)
class SubjectUnderLock:
    """A subject as a transaction holding its lock reads it for a group's registrations:
    its newest version (soft-deleted or not) with its schema, and which of their schemas
    are stored."""

    newest: SubjectVersion | None
    newest_schema: StoredSchema | None
    known: dict[str, StoredSchema]  # by fingerprint


@dataclass(frozen=True)
class RegistrationState:
    """What a registration reads before its check, in one round trip: the subject's
    settings and change count, the schema stored with the request's fingerprint, and the
    subject's newest version (soft-deleted or not) with its schema."""

    settings: ScopeSettings
    # How many write transactions have locked the subject (storage.lock_subject).
    subject_changes: int
    known: StoredSchema | None
    newest: SubjectVersion | None
    newest_schema: StoredSchema | None
