"""The storage queries a registration and a lookup use, on PostgreSQL and on SQLite."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url

from registry.model import SubjectVersion
from registry.schema import ParsedSchema
from registry.schema_types.avro import parse_avro
from registry.storage import DeferredWriteClash, SqlRegistryStore, open_store
from registry.storage.driver import DriverStatement
from registry.storage.tables import (
    configs,
    id_allocator,
    metadata,
    schema_ids,
    schema_references,
    schemas,
    subject_versions,
    subjects,
)
from stack.postgres import create_database, drop_database


@pytest.fixture(params=["postgresql", "sqlite"])
def store(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path
) -> Iterator[SqlRegistryStore]:
    url = database_url if request.param == "postgresql" else f"sqlite:///{tmp_path / 'r.db'}"
    opened = open_store(url)
    opened.migrate()
    if request.param == "postgresql":
        # One database per module: start each test from empty tables.
        with opened.engine.begin() as connection:
            for table in (schema_references, subject_versions, subjects, schemas, configs):
                connection.execute(table.delete())
    yield opened
    opened.close()


def register(
    store: SqlRegistryStore, subject: str, field: str, version: int, schema_id: int | None = None
) -> int:
    """Version ``version`` of ``subject``: a record with one field named ``field``."""
    schema = parse_avro(
        f'{{"type": "record", "name": "R", "fields": [{{"name": "{field}", "type": "int"}}]}}'
    )
    with store.transaction() as tx:
        stored = tx.store_schema(schema=schema, schema_type="AVRO", schema_id=schema_id)
        tx.insert_version(subject=subject, version=version, schema_id=stored.id)
    return stored.id


def test_latest_and_live_versions_step_over_soft_deleted_ones(store: SqlRegistryStore) -> None:
    ids = [register(store, "s", field, version) for version, field in enumerate("abcd", 1)]
    register(store, "other", "z", 9)
    with store.transaction() as tx:
        tx.mark_deleted(subject="s", version=2)
        tx.mark_deleted(subject="s", version=4)
    with store.read() as tx:
        assert tx.latest_version(subject="s", include_deleted=True) == SubjectVersion(
            "s", 4, ids[3], deleted=True
        )
        assert tx.latest_version(subject="s", include_deleted=False) == SubjectVersion(
            "s", 3, ids[2]
        )
        assert [v.version for v in tx.live_versions(subject="s")] == [1, 3]
        assert tx.subject_version(subject="s", version=2) == SubjectVersion(
            "s", 2, ids[1], deleted=True
        )
        assert tx.subject_version(subject="s", version=5) is None
        for absent in ("none", "s\x00"):
            assert tx.latest_version(subject=absent, include_deleted=True) is None
            assert tx.live_versions(subject=absent) == []
            assert tx.subject_version(subject=absent, version=1) is None


def test_versions_of_a_schema_in_one_subject_or_all(store: SqlRegistryStore) -> None:
    shared = register(store, "s", "a", 1)
    register(store, "s", "b", 2)
    register(store, "t", "a", 1)
    register(store, "s", "a", 3)
    with store.transaction() as tx:
        tx.mark_deleted(subject="s", version=1)
    with store.read() as tx:
        assert tx.versions_of_schema(schema_id=shared, subject="s") == [
            SubjectVersion("s", 1, shared, deleted=True),
            SubjectVersion("s", 3, shared),
        ]
        assert [(v.subject, v.version) for v in tx.versions_of_schema(schema_id=shared)] == [
            ("s", 1),
            ("s", 3),
            ("t", 1),
        ]
        assert tx.versions_of_schema(schema_id=shared, subject="u") == []
        assert tx.versions_of_schema(schema_id=shared, subject="s\x00") == []


def test_schema_ids_are_never_handed_out_twice(store: SqlRegistryStore) -> None:
    first = register(store, "s", "a", 1)
    with store.transaction() as tx:
        tx.remove_version(subject="s", version=1)
    second = register(store, "s", "b", 1)
    assert second > first
    imported = register(store, "t", "c", 1, schema_id=second + 100)
    assert imported == second + 100
    assert register(store, "t", "d", 2) > imported
    # Stored again, a schema keeps its id, whichever subject asks.
    assert register(store, "u", "c", 1) == imported


def test_an_id_taken_meanwhile_by_an_import_is_skipped(store: SqlRegistryStore) -> None:
    if not store.is_postgres:
        pytest.skip("SQLite hands out ids one writer at a time")
    with store.engine.begin() as connection:
        last = connection.execute(sa.select(schema_ids.next_value())).scalar_one()
        # As an import racing the sequence would leave it: the next id already in use.
        connection.execute(
            schemas.insert().values(
                id=last + 1,
                fingerprint="0" * 64,
                schema_type="AVRO",
                schema_text='"int"',
                references=[],
                guid="00000000-0000-0000-0000-000000000000",
            )
        )
    assert register(store, "s", "a", 1) == last + 2


def test_a_read_is_answered_while_a_writer_holds_its_transaction(
    store: SqlRegistryStore,
) -> None:
    register(store, "s", "a", 1)
    writing, reader_done = threading.Event(), threading.Event()

    def writer() -> None:
        with store.transaction() as tx:
            tx.lock_subject(subject="s")
            tx.mark_deleted(subject="s", version=1)
            writing.set()
            reader_done.wait(timeout=60)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert writing.wait(timeout=60)
        with store.read() as tx:
            # The writer has not committed: the read sees the version still live.
            seen = tx.latest_version(subject="s", include_deleted=False)
        assert seen is not None and seen.version == 1
    finally:
        reader_done.set()
        thread.join()
    with store.read() as tx:
        assert tx.latest_version(subject="s", include_deleted=False) is None


def test_the_migrations_build_the_tables_the_code_declares(store: SqlRegistryStore) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_schemas": False, "compare_type": False}
        )
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_postgresql_ids_go_on_from_the_last_one_handed_out_before_the_upgrade(
    postgres_admin_url: str,
) -> None:
    name = f"ids_{uuid.uuid4().hex[:8]}"
    create_database(postgres_admin_url, name)
    store = open_store(make_url(postgres_admin_url).set(database=name).render_as_string(False))
    try:
        config = Config()
        config.set_main_option(
            "script_location", str(resources.files("registry").joinpath("migrations"))
        )
        with store.engine.begin() as connection:
            connection.execute(sa.text("CREATE SCHEMA registry"))
            config.attributes["connection"] = connection
            command.upgrade(config, "0003")
            connection.execute(
                id_allocator.update().where(id_allocator.c.name == "schema").values(last_id=41)
            )
        store.migrate()
        assert register(store, "s", "a", 1) == 42
    finally:
        store.close()
        drop_database(postgres_admin_url, name)


def test_a_new_version_of_a_schema_stored_meanwhile_holds_that_schema(
    store: SqlRegistryStore,
) -> None:
    """The one-round-trip store of a schema and its version, when another subject stored
    the schema first: the version holds that schema, and no other is stored."""
    first_id = register(store, "a", "x", 1)
    schema = parse_avro('{"type": "record", "name": "R", "fields": [{"name": "x", "type": "int"}]}')
    with store.transaction() as tx:
        stored = tx.store_as_version(
            subject="b", version=1, schema=schema, schema_type="AVRO", schema_id=None
        )
    assert stored.id == first_id
    with store.read() as tx:
        assert tx.subject_versions(subject="b") == [SubjectVersion("b", 1, first_id)]
    with store.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(schemas)).scalar() == 1


def test_a_new_schema_and_its_version_are_stored_together(store: SqlRegistryStore) -> None:
    schema = parse_avro('{"type": "record", "name": "R", "fields": [{"name": "y", "type": "int"}]}')
    with store.transaction() as tx:
        stored = tx.store_as_version(
            subject="c", version=1, schema=schema, schema_type="AVRO", schema_id=None
        )
    with store.read() as tx:
        assert tx.schema_by_id(schema_id=stored.id) == stored
        assert tx.subject_versions(subject="c") == [SubjectVersion("c", 1, stored.id)]


def record(field: str) -> ParsedSchema:
    return parse_avro(
        f'{{"type": "record", "name": "R", "fields": [{{"name": "{field}", "type": "int"}}]}}'
    )


def test_new_schemas_with_ids_set_aside_are_stored_with_the_commit(
    store: SqlRegistryStore,
) -> None:
    """Ids set aside as the subject is locked; the writes that take them are seen by the
    transaction's next statement, and committed."""
    with store.transaction() as tx:
        tx.lock_subjects(subjects=["d"], new_ids=3)
        first, second = (
            tx.store_as_version(
                subject="d",
                version=version,
                schema=record(field),
                schema_type="AVRO",
                schema_id=None,
            )
            for version, field in ((1, "p"), (2, "q"))
        )
        assert tx.subject_versions(subject="d") == [
            SubjectVersion("d", 1, first.id),
            SubjectVersion("d", 2, second.id),
        ]
        third = tx.store_as_version(
            subject="d", version=3, schema=record("r"), schema_type="AVRO", schema_id=None
        )
    assert len({first.id, second.id, third.id}) == 3
    with store.read() as tx:
        assert [tx.schema_by_id(schema_id=stored.id) for stored in (first, second, third)] == [
            first,
            second,
            third,
        ]
        assert [version.version for version in tx.subject_versions(subject="d")] == [1, 2, 3]


def test_a_deferred_write_whose_schema_was_stored_meanwhile_fails_its_transaction_whole(
    store: SqlRegistryStore,
) -> None:
    if not store.is_postgres:
        pytest.skip("SQLite writes one transaction at a time and sets no ids aside")
    with pytest.raises(DeferredWriteClash), store.transaction() as tx:
        tx.lock_subjects(subjects=["e"], new_ids=2)
        tx.store_as_version(
            subject="e", version=1, schema=record("s"), schema_type="AVRO", schema_id=None
        )
        tx.store_as_version(
            subject="e", version=2, schema=record("t"), schema_type="AVRO", schema_id=None
        )
        other_id = register(store, "f", "t", 1)
    with store.read() as tx:
        assert tx.subject_versions(subject="e") == []
        assert tx.schema_by_fingerprint(fingerprint=record("s").fingerprint) is None
        stored = tx.schema_by_fingerprint(fingerprint=record("t").fingerprint)
        assert stored is not None and stored.id == other_id


def test_a_subject_under_lock_answers_its_newest_version_its_schema_and_which_are_stored(
    store: SqlRegistryStore,
) -> None:
    ids = [register(store, "s", field, version) for version, field in enumerate("ab", 1)]
    with store.read() as tx:
        a, b = (tx.schema_by_id(schema_id=schema_id) for schema_id in ids)
    assert a is not None and b is not None
    with store.transaction() as tx:
        tx.lock_subject(subject="s")
        read = tx.subject_under_lock(
            subject="s", fingerprints=[a.fingerprint, "none", b.fingerprint]
        )
        empty = tx.subject_under_lock(subject="new", fingerprints=["none"])
    assert read.newest == SubjectVersion("s", 2, ids[1])
    assert read.newest_schema == b
    assert read.known == {a.fingerprint: a, b.fingerprint: b}
    assert empty.newest is None and empty.known == {}


def test_a_statement_on_the_driver_processes_parameters_and_wraps_errors_as_sqlalchemy(
    store: SqlRegistryStore,
) -> None:
    insert = DriverStatement(
        configs.insert().values(scope=sa.bindparam("scope"), config=sa.bindparam("config"))
    )
    read = DriverStatement(sa.select(configs.c.config).where(configs.c.scope == "s"))
    with store.transaction() as tx:
        insert.rows(tx.connection, {"scope": "s", "config": {"compatibility": "FULL"}})
        assert read.scalar(tx.connection, {}) == {"compatibility": "FULL"}
        assert read.rows(tx.connection, {}) == [{"config": {"compatibility": "FULL"}}]
    with pytest.raises(sa.exc.IntegrityError), store.transaction() as tx:
        insert.rows(tx.connection, {"scope": "s", "config": {}})
    with store.read() as tx:
        assert read.scalar(tx.connection, {}) == {"compatibility": "FULL"}
