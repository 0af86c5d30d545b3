"""The registry on one SQLite file shared by several stores, as gunicorn's workers share it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from registry.errors import StoreError
from registry.schema_types.avro import parse_avro
from registry.storage import SqlRegistryStore, open_store


def two_stores(folder: Path) -> tuple[SqlRegistryStore, SqlRegistryStore]:
    url = f"sqlite:///{folder / 'registry.db'}"
    first = open_store(url)
    first.migrate()
    return first, open_store(url)


def add_version(store: SqlRegistryStore, subject: str, field: str) -> int:
    """The next version of ``subject``: a record with one int field named ``field``."""
    schema = parse_avro(
        f'{{"type": "record", "name": "R", "fields": [{{"name": "{field}", "type": "int"}}]}}'
    )
    with store.transaction() as tx:
        tx.lock_subject(subject=subject)
        newest = tx.latest_version(subject=subject, include_deleted=True)
        version = (newest.version if newest is not None else 0) + 1
        stored = tx.store_schema(schema=schema, schema_type="AVRO", schema_id=None)
        tx.insert_version(subject=subject, version=version, schema_id=stored.id)
    return version


def test_the_generation_moves_with_a_commit_of_any_store(tmp_path: Path) -> None:
    first, second = two_stores(tmp_path)
    try:
        seen = first.generation()
        assert first.generation() == seen
        add_version(second, "s", "a")
        moved = first.generation()
        assert moved != seen
        add_version(first, "s", "b")
        assert first.generation() != moved
    finally:
        first.close()
        second.close()


def test_writers_of_two_stores_all_commit_one_after_another(tmp_path: Path) -> None:
    stores = two_stores(tmp_path)
    try:
        with ThreadPoolExecutor(16) as pool:
            versions = list(
                pool.map(
                    lambda n: add_version(stores[n % 2], "s", f"f{n}"),
                    range(160),
                )
            )
        assert sorted(versions) == list(range(1, 161))
        with stores[0].read() as tx:
            assert [v.version for v in tx.live_versions(subject="s")] == list(range(1, 161))
    finally:
        for store in stores:
            store.close()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_a_sqlite_url_without_a_file_is_refused(url: str) -> None:
    with pytest.raises(StoreError, match="SQLite needs a file"):
        open_store(url)
