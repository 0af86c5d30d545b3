"""Group commit on a real SQLite file: registrations that queue commit together, a refusal
stays its own, and any other failure leaves nothing of its group."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from registry.errors import StoreError, VersionNotNextError
from registry.group_commit import GroupCommit, SubjectInGroup, Turn, Work
from registry.schema_types.avro import parse_avro
from registry.storage import DeferredWriteClash, SqlRegistryStore, StoreTransaction, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlRegistryStore]:
    opened = open_store(f"sqlite:///{tmp_path / 'registry.db'}")
    opened.migrate()
    yield opened
    opened.close()


def next_version(field: str) -> Work[int]:
    """Work adding the subject's next version: a record with one int field ``field``."""
    schema = parse_avro(
        f'{{"type": "record", "name": "R", "fields": [{{"name": "{field}", "type": "int"}}]}}'
    )

    def work(tx: StoreTransaction, turn: Turn) -> int:
        newest = tx.latest_version(subject="s", include_deleted=True)
        version = (newest.version if newest is not None else 0) + 1
        stored = tx.store_schema(schema=schema, schema_type="AVRO", schema_id=None)
        turn.new_schemas[stored.id] = (stored, schema)
        tx.insert_version(subject="s", version=version, schema_id=stored.id)
        return version

    return work


def versions_of_s(store: SqlRegistryStore) -> list[int]:
    with store.read() as tx:
        return [version.version for version in tx.subject_versions(subject="s")]


def test_concurrent_registrations_each_get_the_next_version(store: SqlRegistryStore) -> None:
    group_commit = GroupCommit(store)
    with ThreadPoolExecutor(16) as pool:
        answers = list(
            pool.map(
                lambda n: group_commit.run("s", next_version(f"f{n}"), fingerprint=f"f{n}"),
                range(200),
            )
        )
    assert sorted(answers) == list(range(1, 201))
    assert versions_of_s(store) == list(range(1, 201))


def queued_behind(
    group_commit: GroupCommit,
    works: list[Work[int]],
    *,
    subjects: list[str] | None = None,
    fingerprints: list[str] | None = None,
) -> list[int | Exception]:
    """Run ``works`` as one group (into subject "s" unless ``subjects`` says otherwise):
    queued while a first registration holds the queue."""
    subjects = subjects or ["s"] * len(works)
    fingerprints = fingerprints or [f"f{index}" for index in range(len(works))]
    holding, release = threading.Event(), threading.Event()

    def first(tx: StoreTransaction, turn: Turn) -> int:
        holding.set()
        release.wait(timeout=30)
        return next_version("first")(tx, turn)

    outcomes: list[int | Exception] = [0] * len(works)

    def run(index: int) -> None:
        try:
            outcomes[index] = group_commit.run(
                subjects[index], works[index], fingerprint=fingerprints[index]
            )
        except Exception as error:
            outcomes[index] = error

    leader = threading.Thread(target=lambda: group_commit.run("s", first, fingerprint=""))
    leader.start()
    assert holding.wait(timeout=30)
    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(works))]
    for thread in threads:
        thread.start()
    while len(group_commit._queue or []) < len(works):  # all queued before release
        threading.Event().wait(0.01)
    release.set()
    for thread in [leader, *threads]:
        thread.join(timeout=30)
    return outcomes


def test_a_refused_registration_does_not_fail_its_group(store: SqlRegistryStore) -> None:
    def refused(tx: StoreTransaction, turn: Turn) -> int:
        raise VersionNotNextError()

    outcomes = queued_behind(GroupCommit(store), [next_version("a"), refused, next_version("b")])
    assert isinstance(outcomes[1], VersionNotNextError)
    assert {outcomes[0], outcomes[2]} == {2, 3}
    assert versions_of_s(store) == [1, 2, 3]


def test_a_failure_fails_the_whole_group_and_writes_nothing(store: SqlRegistryStore) -> None:
    def failing(tx: StoreTransaction, turn: Turn) -> int:
        raise StoreError("the registry database is unavailable: gone")

    outcomes = queued_behind(GroupCommit(store), [next_version("a"), failing])
    assert all(isinstance(outcome, StoreError) for outcome in outcomes)
    assert versions_of_s(store) == [1]  # the leader's own group, committed before


def test_a_group_whose_deferred_write_clashed_runs_again_and_commits(
    store: SqlRegistryStore,
) -> None:
    clashes: list[bool] = []

    def clashing_once(tx: StoreTransaction, turn: Turn) -> int:
        if not clashes:
            clashes.append(True)
            raise DeferredWriteClash("the schema was stored meanwhile")
        return next_version("b")(tx, turn)

    def refused(tx: StoreTransaction, turn: Turn) -> int:
        raise VersionNotNextError()

    outcomes = queued_behind(GroupCommit(store), [next_version("a"), clashing_once, refused])
    assert outcomes[:2] == [2, 3]
    assert isinstance(outcomes[2], VersionNotNextError)
    assert versions_of_s(store) == [1, 2, 3]


def test_registrations_of_one_subject_in_a_group_share_its_lock_and_what_it_did(
    store: SqlRegistryStore,
) -> None:
    seen: list[SubjectInGroup] = []

    def counted(field: str) -> Work[int]:
        def work(tx: StoreTransaction, turn: Turn) -> int:
            seen.append(turn.subject)
            return next_version(field)(tx, turn)

        return work

    queued_behind(GroupCommit(store), [counted("a"), counted("b")])
    # The leader's group locked "s" once (count 1), the next group once more (count 2).
    assert seen[0] is seen[1]
    assert seen[0].changes == 2


def test_a_group_spanning_subjects_locks_them_all_then_stores_in_fingerprint_order(
    store: SqlRegistryStore,
) -> None:
    ran: list[tuple[str, int]] = []

    def recorded(name: str) -> Work[int]:
        def work(tx: StoreTransaction, turn: Turn) -> int:
            ran.append((name, turn.subject.changes))
            return 0

        return work

    queued_behind(
        GroupCommit(store),
        [recorded("c"), recorded("a"), recorded("b")],
        subjects=["z", "y", "z"],
        fingerprints=["3", "1", "2"],
    )
    assert ran == [("a", 1), ("b", 1), ("c", 1)]


def test_a_subject_counts_as_queued_while_one_of_its_registrations_waits_or_runs(
    store: SqlRegistryStore,
) -> None:
    group_commit = GroupCommit(store)
    during: list[bool] = []

    def work(tx: StoreTransaction, turn: Turn) -> int:
        during.append(group_commit.queued("s"))
        return next_version("a")(tx, turn)

    assert not group_commit.queued("s")
    group_commit.run("s", work, fingerprint="f")
    assert during == [True]
    assert not group_commit.queued("s")
