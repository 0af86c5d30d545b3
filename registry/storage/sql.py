"""SQLAlchemy storage: PostgreSQL (schema `registry`) or a single SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from platform_common.database import engine_url, libpq_url
from registry.errors import StoreError
from registry.model import Mode, RegistryConfig, StoredSchema, SubjectVersion
from registry.schema import ParsedSchema, SchemaReference
from registry.storage.notify import CHANNEL, GenerationWatcher
from registry.storage.tables import (
    configs,
    generation,
    id_allocator,
    modes,
    schema_references,
    schemas,
    subject_versions,
    subjects,
)

PG_SCHEMA = "registry"
# Any constant works: it only has to be the same in every registry process.
_MIGRATION_LOCK_KEY = 0x5E6A_0001


def open_store(database_url: str, *, pool_size: int = 5) -> SqlRegistryStore:
    url = engine_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"timeout": 30})
        _serialise_sqlite_writes(engine)
    elif url.get_backend_name() == "postgresql":
        engine = sa.create_engine(
            url,
            pool_size=pool_size,
            pool_pre_ping=True,
            connect_args={"options": f"-c search_path={PG_SCHEMA}"},
        )
    else:
        backend = url.get_backend_name()
        raise StoreError(f"unsupported database {backend!r}: use PostgreSQL or SQLite")
    return SqlRegistryStore(engine)


def _serialise_sqlite_writes(engine: Engine) -> None:
    # SQLite's deferred transactions upgrade to a write lock late and then fail; taking the
    # lock at BEGIN makes every transaction wait its turn instead (one writer at a time).
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
        dbapi_connection.execute("PRAGMA busy_timeout=30000")

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class SqlRegistryStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_postgres = engine.dialect.name == "postgresql"
        self._watcher: GenerationWatcher | None = None
        self._conninfo = libpq_url(engine.url)

    @contextmanager
    def transaction(self) -> Iterator[SqlTransaction]:
        try:
            with self.engine.begin() as connection:
                transaction = SqlTransaction(connection, postgres=self.is_postgres)
                yield transaction
                if transaction.changed:
                    value = connection.execute(
                        generation.update()
                        .where(generation.c.name == "registry")
                        .values(value=generation.c.value + 1)
                        .returning(generation.c.value)
                    ).scalar_one()
                    if self.is_postgres:
                        connection.execute(
                            sa.text("SELECT pg_notify(:channel, :value)"),
                            {"channel": CHANNEL, "value": str(value)},
                        )
            if transaction.changed and self._watcher is not None:
                self._watcher.saw(int(value))
        except sa.exc.OperationalError as error:
            raise StoreError(f"the registry database is unavailable: {error.orig}") from error

    def generation(self) -> int:
        if self.is_postgres:
            if self._watcher is None:
                # Started on first use, so that it runs in the serving process (after fork).
                self._watcher = GenerationWatcher(self._conninfo)
            known = self._watcher.value
            if known is not None:
                return known
        try:
            with self.engine.connect() as connection:
                value = connection.execute(
                    sa.select(generation.c.value).where(generation.c.name == "registry")
                ).scalar_one()
        except sa.exc.OperationalError as error:
            raise StoreError(f"the registry database is unavailable: {error.orig}") from error
        return int(value)

    def migrate(self) -> None:
        config = Config()
        config.set_main_option(
            "script_location", str(resources.files("registry").joinpath("migrations"))
        )
        with self.engine.begin() as connection:
            if self.is_postgres:
                # Several registry processes may start at once: one migrates, the rest wait.
                connection.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
                )
                connection.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {PG_SCHEMA}"))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def close(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
        self.engine.dispose()


class SqlTransaction:
    def __init__(self, connection: Connection, *, postgres: bool) -> None:
        self.connection = connection
        self.postgres = postgres
        # Set by every write; the store then bumps the generation in the same transaction.
        self.changed = False

    def _insert(self, table: sa.Table) -> Any:
        return postgresql.insert(table) if self.postgres else sqlite.insert(table)

    def lock_subject(self, *, subject: str) -> None:
        if not _storable(subject):
            return  # such a subject cannot exist, so there is nothing to lock
        self.connection.execute(
            self._insert(subjects).values(name=subject).on_conflict_do_nothing()
        )
        # SQLite ignores FOR UPDATE; there BEGIN IMMEDIATE already serialises writers.
        self.connection.execute(
            sa.select(subjects.c.name).where(subjects.c.name == subject).with_for_update()
        )

    def subject_versions(self, *, subject: str) -> list[SubjectVersion]:
        if not _storable(subject):
            return []
        rows = self.connection.execute(
            sa.select(subject_versions)
            .where(subject_versions.c.subject == subject)
            .order_by(subject_versions.c.version)
        )
        return [_version(row) for row in rows]

    def all_versions(self, *, include_deleted: bool) -> list[SubjectVersion]:
        query = sa.select(subject_versions).order_by(
            subject_versions.c.subject, subject_versions.c.version
        )
        if not include_deleted:
            query = query.where(subject_versions.c.deleted.is_(False))
        return [_version(row) for row in self.connection.execute(query)]

    def versions_of_schema(self, *, schema_id: int) -> list[SubjectVersion]:
        rows = self.connection.execute(
            sa.select(subject_versions)
            .where(subject_versions.c.schema_id == schema_id)
            .order_by(subject_versions.c.subject, subject_versions.c.version)
        )
        return [_version(row) for row in rows]

    def schema_by_id(self, *, schema_id: int) -> StoredSchema | None:
        row = self.connection.execute(sa.select(schemas).where(schemas.c.id == schema_id)).first()
        return _schema(row) if row is not None else None

    def schema_by_fingerprint(self, *, fingerprint: str) -> StoredSchema | None:
        row = self.connection.execute(
            sa.select(schemas).where(schemas.c.fingerprint == fingerprint)
        ).first()
        return _schema(row) if row is not None else None

    def schemas_by_guid(self, *, guid: str) -> list[StoredSchema]:
        rows = self.connection.execute(
            sa.select(schemas).where(schemas.c.guid == guid).order_by(schemas.c.id)
        )
        return [_schema(row) for row in rows]

    def store_schema(
        self, *, schema: ParsedSchema, schema_type: str, schema_id: int | None
    ) -> StoredSchema:
        found = self.schema_by_fingerprint(fingerprint=schema.fingerprint)
        if found is not None:
            return found
        # The allocator row lock serialises the creation of new schemas across processes;
        # look again once it is held, as another process may have stored this very schema.
        last_id = self.connection.execute(
            sa.select(id_allocator.c.last_id)
            .where(id_allocator.c.name == "schema")
            .with_for_update()
        ).scalar_one()
        found = self.schema_by_fingerprint(fingerprint=schema.fingerprint)
        if found is not None:
            return found
        self.changed = True
        guid = schema.guid
        new_id = schema_id if schema_id is not None else last_id + 1
        self.connection.execute(
            id_allocator.update()
            .where(id_allocator.c.name == "schema")
            .values(last_id=max(last_id, new_id))
        )
        self.connection.execute(
            schemas.insert().values(
                id=new_id,
                fingerprint=schema.fingerprint,
                schema_type=schema_type,
                schema_text=schema.canonical,
                references=[reference.to_json() for reference in schema.references],
                metadata=schema.metadata,
                rule_set=schema.rule_set,
                guid=guid,
            )
        )
        if schema.references:
            self.connection.execute(
                schema_references.insert(),
                [
                    {"schema_id": new_id, "position": position, **reference.to_json()}
                    for position, reference in enumerate(schema.references)
                ],
            )
        return StoredSchema(
            id=new_id,
            fingerprint=schema.fingerprint,
            schema_type=schema_type,
            text=schema.canonical,
            guid=guid,
            references=schema.references,
            metadata=schema.metadata,
            rule_set=schema.rule_set,
        )

    def insert_version(self, *, subject: str, version: int, schema_id: int) -> SubjectVersion:
        self.changed = True
        self.connection.execute(
            subject_versions.insert().values(
                subject=subject, version=version, schema_id=schema_id, deleted=False
            )
        )
        return SubjectVersion(subject=subject, version=version, schema_id=schema_id)

    def mark_deleted(self, *, subject: str, version: int) -> None:
        self.changed = True
        self.connection.execute(
            subject_versions.update()
            .where(subject_versions.c.subject == subject, subject_versions.c.version == version)
            .values(deleted=True)
        )

    def remove_version(self, *, subject: str, version: int) -> None:
        self.changed = True
        schema_id = self.connection.execute(
            sa.delete(subject_versions)
            .where(subject_versions.c.subject == subject, subject_versions.c.version == version)
            .returning(subject_versions.c.schema_id)
        ).scalar_one_or_none()
        if schema_id is None:
            return
        still_used = self.connection.execute(
            sa.select(sa.func.count())
            .select_from(subject_versions)
            .where(subject_versions.c.schema_id == schema_id)
        ).scalar_one()
        if still_used == 0:
            self.connection.execute(
                schema_references.delete().where(schema_references.c.schema_id == schema_id)
            )
            self.connection.execute(schemas.delete().where(schemas.c.id == schema_id))

    def referencing_schema_ids(self, *, subject: str, version: int) -> list[int]:
        if not _storable(subject):
            return []
        rows = self.connection.execute(
            sa.select(schema_references.c.schema_id)
            .where(schema_references.c.subject == subject, schema_references.c.version == version)
            .order_by(schema_references.c.schema_id)
        )
        return [int(row.schema_id) for row in rows]

    def get_config(self, *, scope: str) -> RegistryConfig | None:
        if not _storable(scope):
            return None
        raw = self.connection.execute(
            sa.select(configs.c.config).where(configs.c.scope == scope)
        ).scalar_one_or_none()
        if raw is None:
            return None
        extra = {key: value for key, value in raw.items() if key != "compatibility"}
        return RegistryConfig(compatibility=raw.get("compatibility"), extra=extra)

    def put_config(self, *, scope: str, config: RegistryConfig) -> None:
        self.changed = True
        statement = self._insert(configs).values(scope=scope, config=config.to_json())
        self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=[configs.c.scope], set_={"config": statement.excluded.config}
            )
        )

    def delete_config(self, *, scope: str) -> None:
        self.changed = True
        self.connection.execute(configs.delete().where(configs.c.scope == scope))

    def get_mode(self, *, scope: str) -> Mode | None:
        if not _storable(scope):
            return None
        raw = self.connection.execute(
            sa.select(modes.c.mode).where(modes.c.scope == scope)
        ).scalar_one_or_none()
        return Mode(raw) if raw is not None else None

    def put_mode(self, *, scope: str, mode: Mode) -> None:
        self.changed = True
        statement = self._insert(modes).values(scope=scope, mode=mode.value)
        self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=[modes.c.scope], set_={"mode": statement.excluded.mode}
            )
        )

    def delete_mode(self, *, scope: str) -> None:
        self.changed = True
        self.connection.execute(modes.delete().where(modes.c.scope == scope))


def _storable(text: str) -> bool:
    """PostgreSQL text cannot hold NUL: a name with one was never stored, on any backend."""
    return "\x00" not in text


def _version(row: sa.Row[Any]) -> SubjectVersion:
    return SubjectVersion(
        subject=row.subject,
        version=row.version,
        schema_id=row.schema_id,
        deleted=row.deleted,
        ts=_epoch_millis(row.created_at),
    )


def _epoch_millis(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    # SQLite gives back the naive UTC time its CURRENT_TIMESTAMP wrote.
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return int(aware.timestamp() * 1000)


def _schema(row: sa.Row[Any]) -> StoredSchema:
    return StoredSchema(
        id=row.id,
        fingerprint=row.fingerprint,
        schema_type=row.schema_type,
        text=row.schema_text,
        guid=row.guid,
        references=tuple(
            SchemaReference(name=ref["name"], subject=ref["subject"], version=int(ref["version"]))
            for ref in row.references
        ),
        metadata=row.metadata,
        rule_set=row.rule_set,
    )
