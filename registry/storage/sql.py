"""The registry's queries on PostgreSQL or SQLite: one SqlTransaction per transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql.selectable import NamedFromClause

from registry.errors import StoreError
from registry.model import (
    GLOBAL_SCOPE,
    Mode,
    RegistrationState,
    RegistryConfig,
    ScopeSettings,
    StoredSchema,
    SubjectUnderLock,
    SubjectVersion,
)
from registry.schema import ParsedSchema, SchemaReference
from registry.storage import ids
from registry.storage.base import DeferredWriteClash
from registry.storage.driver import DriverStatement, run_together
from registry.storage.tables import (
    configs,
    modes,
    schema_ids,
    schema_references,
    schemas,
    subject_versions,
    subjects,
)

# The predicate of the live-versions index (tables.py): queries must spell it the same way.
_LIVE = subject_versions.c.deleted.is_(False)

# A registration's statements, built once: building one costs about as much as running it.
# Counting a change locks the subject's row until commit, and answers the latest count
# (after waiting for a holder, the count it committed).
_COUNT_CHANGE = (
    subjects.update()
    .where(subjects.c.name == sa.bindparam("subject"))
    .values(changes=subjects.c.changes + 1)
    .returning(subjects.c.changes)
)
# Several subjects' locks in one round trip (PostgreSQL): a missing subject is created
# with its first change counted, an existing one counted again. Rows are taken in name
# order, so two transactions locking overlapping sets cannot wait for each other.
_SUBJECT_NAMES = sa.func.unnest(sa.bindparam("subjects", type_=postgresql.ARRAY(sa.Text)))
_COUNT_CHANGES_POSTGRES = (
    postgresql.insert(subjects)
    .from_select(
        ["name", "changes"],
        sa.select(_SUBJECT_NAMES.label("name"), sa.literal(1, sa.BigInteger)).order_by(
            sa.literal_column("name")
        ),
    )
    .on_conflict_do_update(
        index_elements=[subjects.c.name], set_={"changes": subjects.c.changes + 1}
    )
    .returning(subjects.c.name, subjects.c.changes)
)
_NEWEST = (
    sa.select(subject_versions)
    .where(subject_versions.c.subject == sa.bindparam("subject"))
    .order_by(subject_versions.c.version.desc())
    .limit(1)
)
_NEWEST_LIVE = _NEWEST.where(_LIVE)
_BY_FINGERPRINT = sa.select(schemas).where(schemas.c.fingerprint == sa.bindparam("fingerprint"))
# What a registration reads before it checks, and again under the subject's lock, in one
# row and one round trip: the settings of the subject and of the registry, the schema with
# a fingerprint, and the subject's newest version.
_KNOWN = _BY_FINGERPRINT.subquery("known")
_NEWEST_OF_SUBJECT = _NEWEST.subquery("newest")
# Its schema: what a check against the newest version needs, unless the process has it.
_NEWEST_SCHEMA = schemas.alias("newest_schema")


def _setting(column: sa.Column[Any], scope: str) -> sa.ScalarSelect[Any]:
    return sa.select(column).where(column.table.c.scope == sa.bindparam(scope)).scalar_subquery()


# The configs and modes of a subject and of the registry, a column each: what a
# registration's state and a subject's rules read.
_SETTINGS = (
    _setting(configs.c.config, "subject").label("subject_config"),
    _setting(configs.c.config, "registry").label("registry_config"),
    _setting(modes.c.mode, "subject").label("subject_mode"),
    _setting(modes.c.mode, "registry").label("registry_mode"),
)
_SCOPE_SETTINGS = sa.select(*_SETTINGS)


def _side_by_side(known: sa.Subquery, *columns: sa.ColumnElement[Any]) -> sa.Select[Any]:
    """The rows of ``known`` (or one row of NULLs), each beside the subject's newest
    version and its schema (or NULLs), and ``columns``; read by label (see _columns)."""
    return (
        sa.select(known, _NEWEST_OF_SUBJECT, _NEWEST_SCHEMA, *columns)
        .select_from(
            sa.select(sa.literal(1).label("one"))
            .subquery("one")
            .outerjoin(known, sa.true())
            .outerjoin(_NEWEST_OF_SUBJECT, sa.true())
            .outerjoin(_NEWEST_SCHEMA, _NEWEST_SCHEMA.c.id == _NEWEST_OF_SUBJECT.c.schema_id)
        )
        .set_label_style(sa.LABEL_STYLE_TABLENAME_PLUS_COL)
    )


_REGISTRATION_STATE = _side_by_side(
    _KNOWN,
    *_SETTINGS,
    sa.select(subjects.c.changes)
    .where(subjects.c.name == sa.bindparam("subject"))
    .scalar_subquery()
    .label("subject_changes"),
)
# What a group of registrations of one subject reads again once it holds the lock, when
# someone else changed the subject since they read it: a row for each of their schemas that
# is stored (or one row of NULLs), each with the subject's newest version.
_KNOWN_OF_MANY = (
    sa.select(schemas)
    .where(schemas.c.fingerprint.in_(sa.bindparam("fingerprints", expanding=True)))
    .subquery("known")
)
_SUBJECT_UNDER_LOCK = _side_by_side(_KNOWN_OF_MANY)
# The same with the fingerprints as one array parameter: a statement compiled once, for
# the driver's cursor, whatever the group's size (an expanding IN is compiled per call).
_SUBJECT_UNDER_LOCK_POSTGRES = _side_by_side(
    sa.select(schemas)
    .where(
        schemas.c.fingerprint
        == sa.any_(sa.bindparam("fingerprints", type_=postgresql.ARRAY(sa.Text)))
    )
    .subquery("known")
)
_SCHEMA_IN_SUBJECT = (
    sa.select(subject_versions)
    .where(
        subject_versions.c.schema_id == sa.bindparam("schema_id"),
        subject_versions.c.subject == sa.bindparam("subject"),
    )
    .order_by(subject_versions.c.version)
)
_INSERT_VERSION = subject_versions.insert().values(deleted=False)
# A new schema's row, unless its fingerprint (or, for an import, its id) is taken meanwhile;
# the columns come from the parameters. PostgreSQL takes a new id from its sequence inline.
_INSERT_SCHEMA_SQLITE = sqlite.insert(schemas).on_conflict_do_nothing().returning(schemas.c.id)
_INSERT_SCHEMA_POSTGRES = (
    postgresql.insert(schemas).on_conflict_do_nothing().returning(schemas.c.id)
)
_INSERT_NEW_SCHEMA_POSTGRES = _INSERT_SCHEMA_POSTGRES.values(id=schema_ids.next_value())
# A new schema and the version holding it in one round trip (PostgreSQL runs an INSERT in
# a WITH); no row back means the fingerprint was taken meanwhile, and nothing was written.
_SCHEMA_COLUMNS = {
    column.name: sa.bindparam(column.name, type_=column.type)
    for column in schemas.c
    if column.name not in ("id", "created_at")
}


def _schema_as_version(new_schema: sa.CTE) -> sa.Insert:
    return subject_versions.insert().from_select(
        ["subject", "version", "schema_id", "deleted"],
        sa.select(
            sa.bindparam("subject", type_=sa.Text),
            sa.bindparam("version", type_=sa.Integer),
            new_schema.c.id,
            sa.false(),
        ),
    )


_NEW_SCHEMA_AS_VERSION_POSTGRES = _schema_as_version(
    _INSERT_NEW_SCHEMA_POSTGRES.values(_SCHEMA_COLUMNS).cte("new_schema")
).returning(subject_versions.c.schema_id)
# The same with an id set aside, and no ON CONFLICT: a deferred write cannot be looked at
# before the commit, so a taken fingerprint or id fails the transaction instead.
_RESERVED_SCHEMA_AS_VERSION = _schema_as_version(
    postgresql.insert(schemas)
    .values({**_SCHEMA_COLUMNS, "id": sa.bindparam("id", type_=schemas.c.id.type)})
    .returning(schemas.c.id)
    .cte("new_schema")
)
_SET_IDS_ASIDE = sa.select(schema_ids.next_value().label("id")).select_from(
    sa.func.generate_series(1, sa.bindparam("count", type_=sa.Integer))
)

# What each registration runs (storage/driver.py says why on the driver's cursor).
_COUNT_CHANGE_ON_DRIVER = DriverStatement(_COUNT_CHANGE)
_COUNT_CHANGES_ON_DRIVER = DriverStatement(_COUNT_CHANGES_POSTGRES)
_SUBJECT_UNDER_LOCK_ON_DRIVER = DriverStatement(_SUBJECT_UNDER_LOCK_POSTGRES)
_REGISTRATION_STATE_ON_DRIVER = DriverStatement(_REGISTRATION_STATE)
_NEW_SCHEMA_AS_VERSION_ON_DRIVER = DriverStatement(_NEW_SCHEMA_AS_VERSION_POSTGRES)
_RESERVED_SCHEMA_AS_VERSION_ON_DRIVER = DriverStatement(_RESERVED_SCHEMA_AS_VERSION)
_SET_IDS_ASIDE_ON_DRIVER = DriverStatement(_SET_IDS_ASIDE)


class SqlTransaction:
    def __init__(self, connection: Connection, *, postgres: bool) -> None:
        self._connection = connection
        self.postgres = postgres
        # Set by every write; on PostgreSQL the store then bumps the generation before commit.
        self.changed = False
        # Ids set aside by lock_subjects, and the writes of new schemas that took one: they
        # go with the next statement (see connection) or the commit, not a round trip each.
        self._ids_aside: list[int] = []
        self._deferred: list[dict[str, Any]] = []

    @property
    def connection(self) -> Connection:
        """The transaction's connection, once the deferred writes ran: any statement on it
        sees them."""
        if self._deferred:
            self._run_deferred([])
        return self._connection

    def commit_with(self, last: DriverStatement) -> list[dict[str, Any]]:
        """The deferred writes, then ``last``'s rows, and the COMMIT, in one round trip."""
        return self._run_deferred([(last, {})], commit=True)[-1]

    def _run_deferred(
        self, then: list[tuple[DriverStatement, Mapping[str, Any]]], *, commit: bool = False
    ) -> list[list[dict[str, Any]]]:
        writes, self._deferred = self._deferred, []
        try:
            return run_together(
                self._connection,
                then,
                writes_first=(_RESERVED_SCHEMA_AS_VERSION_ON_DRIVER, writes),
                commit=commit,
            )
        except sa.exc.IntegrityError as error:
            if not writes:
                raise
            raise DeferredWriteClash(str(error.orig)) from error

    def _insert(self, table: sa.Table) -> Any:
        return postgresql.insert(table) if self.postgres else sqlite.insert(table)

    def lock_subjects(self, *, subjects: Sequence[str], new_ids: int = 0) -> dict[str, int]:
        storable = sorted({subject for subject in subjects if _storable(subject)})
        counts = dict.fromkeys(subjects, 0)
        if not self.postgres:
            # SQLite's write transaction already excludes every other writer, and a
            # statement there costs no round trip.
            counts.update({subject: self.lock_subject(subject=subject) for subject in storable})
            return counts
        statements: list[tuple[DriverStatement, Mapping[str, Any]]] = []
        if storable:
            statements.append((_COUNT_CHANGES_ON_DRIVER, {"subjects": storable}))
        if new_ids > 0:
            statements.append((_SET_IDS_ASIDE_ON_DRIVER, {"count": new_ids}))
        answers = run_together(self.connection, statements)
        if storable:
            counts.update({row["name"]: int(row["changes"]) for row in answers[0]})
        if new_ids > 0:
            self._ids_aside = [int(row["id"]) for row in answers[-1]]
        return counts

    def lock_subject(self, *, subject: str) -> int:
        if not _storable(subject):
            return 0  # such a subject cannot exist, so there is nothing to lock
        # On SQLite the write transaction (BEGIN IMMEDIATE) already excludes every other
        # writer; the count is kept all the same.
        changes = _COUNT_CHANGE_ON_DRIVER.scalar(self.connection, {"subject": subject})
        if changes is None:
            self.connection.execute(
                self._insert(subjects).values(name=subject).on_conflict_do_nothing()
            )
            changes = _COUNT_CHANGE_ON_DRIVER.scalar(self.connection, {"subject": subject})
        return int(changes)

    def subject_versions(self, *, subject: str) -> list[SubjectVersion]:
        if not _storable(subject):
            return []
        rows = self.connection.execute(
            sa.select(subject_versions)
            .where(subject_versions.c.subject == subject)
            .order_by(subject_versions.c.version)
        )
        return [_version(row) for row in rows]

    def latest_version(self, *, subject: str, include_deleted: bool) -> SubjectVersion | None:
        if not _storable(subject):
            return None
        query = _NEWEST if include_deleted else _NEWEST_LIVE
        row = self.connection.execute(query, {"subject": subject}).first()
        return _version(row) if row is not None else None

    def live_versions(self, *, subject: str) -> list[SubjectVersion]:
        if not _storable(subject):
            return []
        rows = self.connection.execute(
            sa.select(subject_versions)
            .where(subject_versions.c.subject == subject, _LIVE)
            .order_by(subject_versions.c.version)
        )
        return [_version(row) for row in rows]

    def subject_version(self, *, subject: str, version: int) -> SubjectVersion | None:
        if not _storable(subject):
            return None
        row = self.connection.execute(
            sa.select(subject_versions).where(
                subject_versions.c.subject == subject, subject_versions.c.version == version
            )
        ).first()
        return _version(row) if row is not None else None

    def all_versions(self, *, include_deleted: bool) -> list[SubjectVersion]:
        query = sa.select(subject_versions).order_by(
            subject_versions.c.subject, subject_versions.c.version
        )
        if not include_deleted:
            query = query.where(_LIVE)
        return [_version(row) for row in self.connection.execute(query)]

    def versions_of_schema(
        self, *, schema_id: int, subject: str | None = None
    ) -> list[SubjectVersion]:
        if subject is not None:
            if not _storable(subject):
                return []
            found = self.connection.execute(
                _SCHEMA_IN_SUBJECT, {"schema_id": schema_id, "subject": subject}
            )
            return [_version(row) for row in found]
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
        row = self.connection.execute(_BY_FINGERPRINT, {"fingerprint": fingerprint}).first()
        return _schema(row) if row is not None else None

    def registration_state(self, *, subject: str, fingerprint: str) -> RegistrationState:
        # A subject with NUL has no versions nor settings of its own; the registry's apply.
        own = subject if _storable(subject) else GLOBAL_SCOPE
        row = _REGISTRATION_STATE_ON_DRIVER.rows(
            self.connection, {"fingerprint": fingerprint, "subject": own, "registry": GLOBAL_SCOPE}
        )[0]
        has_newest = own == subject and row["newest_version"] is not None
        return RegistrationState(
            settings=_settings(row, own),
            subject_changes=int(row["subject_changes"] or 0) if own == subject else 0,
            known=_schema(_columns(row, _KNOWN)) if row["known_id"] is not None else None,
            newest=_version(_columns(row, _NEWEST_OF_SUBJECT)) if has_newest else None,
            newest_schema=_schema(_columns(row, _NEWEST_SCHEMA)) if has_newest else None,
        )

    def subject_under_lock(self, *, subject: str, fingerprints: Sequence[str]) -> SubjectUnderLock:
        if not _storable(subject):
            return SubjectUnderLock(newest=None, newest_schema=None, known={})
        params = {"subject": subject, "fingerprints": list(fingerprints)}
        rows: Sequence[Mapping[Any, Any]]
        if self.postgres:
            rows = _SUBJECT_UNDER_LOCK_ON_DRIVER.rows(self.connection, params)
        else:
            rows = [row._mapping for row in self.connection.execute(_SUBJECT_UNDER_LOCK, params)]
        known = [
            _schema(_columns(row, _KNOWN_OF_MANY)) for row in rows if row["known_id"] is not None
        ]
        has_newest = rows[0]["newest_version"] is not None
        return SubjectUnderLock(
            newest=_version(_columns(rows[0], _NEWEST_OF_SUBJECT)) if has_newest else None,
            newest_schema=_schema(_columns(rows[0], _NEWEST_SCHEMA)) if has_newest else None,
            known={schema.fingerprint: schema for schema in known},
        )

    def schemas_by_guid(self, *, guid: str) -> list[StoredSchema]:
        rows = self.connection.execute(
            sa.select(schemas).where(schemas.c.guid == guid).order_by(schemas.c.id)
        )
        return [_schema(row) for row in rows]

    def store_schema(
        self, *, schema: ParsedSchema, schema_type: str, schema_id: int | None
    ) -> StoredSchema:
        row = _schema_row(schema, schema_type)
        if schema_id is not None:
            ids.reserve_imported_id(self.connection, postgres=self.postgres, schema_id=schema_id)
        while True:
            new_id = self.connection.execute(*self._schema_insert(row, schema_id)).scalar()
            if new_id is not None:
                break
            # Taken meanwhile: the fingerprint, by another transaction storing this schema
            # (it is the answer), or the id, by an import (the next one will do).
            found = self.schema_by_fingerprint(fingerprint=schema.fingerprint)
            if found is not None:
                return found
            if schema_id is not None:
                raise StoreError(f"schema id {schema_id} was taken by another schema meanwhile")
        self.changed = True
        if schema.references:
            self.connection.execute(
                schema_references.insert(),
                [
                    {"schema_id": new_id, "position": position, **reference.to_json()}
                    for position, reference in enumerate(schema.references)
                ],
            )
        return _stored(new_id, schema, schema_type)

    def store_as_version(
        self,
        *,
        subject: str,
        version: int,
        schema: ParsedSchema,
        schema_type: str,
        schema_id: int | None,
    ) -> StoredSchema:
        if not self.postgres or schema_id is not None or schema.references:
            return self._store_then_insert(subject, version, schema, schema_type, schema_id)
        row = {**_schema_row(schema, schema_type), "subject": subject, "version": version}
        if self._ids_aside:
            self.changed = True
            new_id = self._ids_aside.pop(0)
            self._deferred.append({**row, "id": new_id})
            return _stored(new_id, schema, schema_type)
        new_id = _NEW_SCHEMA_AS_VERSION_ON_DRIVER.scalar(self.connection, row)
        if new_id is None:
            # The fingerprint was taken meanwhile (the schema is that one), or the id by an
            # import (the next will do): the two steps find out which.
            return self._store_then_insert(subject, version, schema, schema_type, None)
        self.changed = True
        return _stored(int(new_id), schema, schema_type)

    def _store_then_insert(
        self,
        subject: str,
        version: int,
        schema: ParsedSchema,
        schema_type: str,
        schema_id: int | None,
    ) -> StoredSchema:
        stored = self.store_schema(schema=schema, schema_type=schema_type, schema_id=schema_id)
        self.insert_version(subject=subject, version=version, schema_id=stored.id)
        return stored

    def _schema_insert(
        self, row: dict[str, Any], schema_id: int | None
    ) -> tuple[sa.Executable, dict[str, Any]]:
        if self.postgres:
            if schema_id is None:
                return _INSERT_NEW_SCHEMA_POSTGRES, row
            return _INSERT_SCHEMA_POSTGRES, {**row, "id": schema_id}
        given = schema_id if schema_id is not None else ids.next_id_on_sqlite(self.connection)
        return _INSERT_SCHEMA_SQLITE, {**row, "id": given}

    def insert_version(self, *, subject: str, version: int, schema_id: int) -> SubjectVersion:
        self.changed = True
        self.connection.execute(
            _INSERT_VERSION, {"subject": subject, "version": version, "schema_id": schema_id}
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
        return _config(raw) if raw is not None else None

    def scope_settings(self, *, subject: str) -> ScopeSettings:
        # A subject with NUL has no settings of its own; the registry's still apply.
        own = subject if _storable(subject) else GLOBAL_SCOPE
        row = self.connection.execute(
            _SCOPE_SETTINGS, {"subject": own, "registry": GLOBAL_SCOPE}
        ).one()
        return _settings(row._mapping, own)

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


def _schema_row(schema: ParsedSchema, schema_type: str) -> dict[str, Any]:
    """A new schema's columns, its id aside."""
    return {
        "fingerprint": schema.fingerprint,
        "schema_type": schema_type,
        "schema_text": schema.canonical,
        "references": [reference.to_json() for reference in schema.references],
        "metadata": schema.metadata,
        "rule_set": schema.rule_set,
        "guid": schema.guid,
    }


def _stored(schema_id: int, schema: ParsedSchema, schema_type: str) -> StoredSchema:
    return StoredSchema(
        id=schema_id,
        fingerprint=schema.fingerprint,
        schema_type=schema_type,
        text=schema.canonical,
        guid=schema.guid,
        references=schema.references,
        metadata=schema.metadata,
        rule_set=schema.rule_set,
    )


def _settings(row: Mapping[Any, Any], own: str) -> ScopeSettings:
    """The settings in a row of the _SETTINGS columns, ``own`` being the subject's scope."""
    settings = ScopeSettings({}, {})
    for scope, config, mode in (
        (own, row["subject_config"], row["subject_mode"]),
        (GLOBAL_SCOPE, row["registry_config"], row["registry_mode"]),
    ):
        if config is not None:
            settings.configs[scope] = _config(config)
        if mode is not None:
            settings.modes[scope] = Mode(mode)
    return settings


def _config(raw: dict[str, Any]) -> RegistryConfig:
    extra = {key: value for key, value in raw.items() if key != "compatibility"}
    return RegistryConfig(compatibility=raw.get("compatibility"), extra=extra)


def _storable(text: str) -> bool:
    """PostgreSQL text cannot hold NUL: a name with one was never stored, on any backend."""
    return "\x00" not in text


def _columns(row: Mapping[Any, Any], part: NamedFromClause) -> Any:
    """The columns of one subquery in a joined row, by their own names. Read by label
    (subquery and column name): under concurrent first use, a row sometimes did not map
    the subquery's column objects."""
    return SimpleNamespace(**{column.name: row[f"{part.name}_{column.name}"] for column in part.c})


def _version(row: Any) -> SubjectVersion:
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


def _schema(row: Any) -> StoredSchema:
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
