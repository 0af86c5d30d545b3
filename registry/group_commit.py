"""Group commit: registrations that queue for the write lock in one process commit together.

A new version's own statements are few; most of its time went to waiting for its turn at
the lock and to its commit (on SQLite the file's one write lock and an fsync of the log; on
PostgreSQL the subject's row lock and a WAL flush). Registrations that arrive meanwhile
queue here; the first one in the queue runs the whole queue, one registration after another
in one transaction, and commits once. Later ones see the earlier ones' versions, as they
would after separate commits.

A registration the registry refuses (a 4xx error) is refused alone: its work raises before
it writes anything, so the others commit. Any other failure fails the whole group, which
then wrote nothing.

Written here because it lives between the rules and the store: no pool or queue library
knows which failures leave a transaction fit to commit.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from registry.errors import RegistryError
from registry.model import RegisteredVersion, StoredSchema, SubjectUnderLock
from registry.schema import ParsedSchema
from registry.storage import DeferredWriteClash, RegistryStore, StoreTransaction

T = TypeVar("T")
# Schemas stored by earlier registrations of a group, by id, until it commits: the catalog
# keeps only committed ones (on SQLite, a rolled back id is handed out again).
NewSchemas = dict[int, tuple[StoredSchema, ParsedSchema]]


@dataclass
class SubjectInGroup:
    """A subject as its group's lock found it, and what the group did to it since."""

    # The subject's change count as the lock left it.
    changes: int
    # Of the schemas its registrations in the group may store.
    fingerprints: list[str]
    # Versions the group added, in order.
    added: list[RegisteredVersion] = field(default_factory=list)
    # False once the group changed the subject otherwise (removed a version).
    only_added: bool = True
    # What one of them read under the lock for all, and how many versions were added then.
    read: SubjectUnderLock | None = None
    read_at: int = 0


@dataclass(frozen=True)
class Turn:
    """What one registration's work learns from its group."""

    new_schemas: NewSchemas
    subject: SubjectInGroup


Work = Callable[[StoreTransaction, Turn], T]


class _Ticket(Generic[T]):
    """One registration's place in the queue, and then its answer."""

    def __init__(self, subject: str, fingerprint: str, work: Work[T]) -> None:
        self.subject = subject
        self.fingerprint = fingerprint
        self.work = work
        # Set when the answer is in, or when this ticket is to run the queue next.
        self.woken = threading.Event()
        self.done = False
        self.result: T | None = None
        self.error: BaseException | None = None


class GroupCommit:
    """Every registration of the process joins one queue; its groups may span subjects.

    On PostgreSQL, groups of two processes run at once, and a group waits for what the
    other holds: a subject's lock, or a schema it stored but has not committed (a second
    insert of that fingerprint waits for the first to end). No two groups can wait for each
    other, because each takes every subject lock first, in name order, and then stores its
    new schemas in fingerprint order: a cycle would need one of them to take a lock or a
    schema out of its order.
    """

    def __init__(self, store: RegistryStore) -> None:
        self._store = store
        self._mutex = threading.Lock()
        self._queue: list[_Ticket[Any]] | None = None
        # Registrations queued or running, by subject.
        self._subjects: Counter[str] = Counter()

    def run(self, subject: str, work: Work[T], *, fingerprint: str) -> T:
        """``work`` in a transaction holding ``subject``'s lock, perhaps with others';
        its answer once that transaction committed. ``fingerprint`` is that of the only
        schema the work may store."""
        ticket = _Ticket(subject, fingerprint, work)
        with self._mutex:
            # A queue is there while its group runs: the first to find none leads.
            leads = self._queue is None
            if self._queue is None:
                self._queue = []
            self._queue.append(ticket)
            self._subjects[ticket.subject] += 1
        if not leads:
            ticket.woken.wait()
        if not ticket.done:
            self._run_queue()
        if ticket.error is not None:
            raise ticket.error
        return ticket.result  # type: ignore[return-value]

    def queued(self, subject: str) -> bool:
        """Whether a registration of ``subject`` is queued or in a group running now."""
        return subject in self._subjects

    def _run_queue(self) -> None:
        """Run what is queued (the caller's ticket included), then hand over to the next
        in the queue: each caller runs at most one group, so none waits on others' turns."""
        with self._mutex:
            group, self._queue = self._queue or [], []
        try:
            self._commit(group)
        finally:
            with self._mutex:
                waiting = self._queue
                if waiting:
                    waiting[0].woken.set()
                else:
                    self._queue = None
                self._subjects.subtract(ticket.subject for ticket in group)
                for ticket in group:
                    if self._subjects[ticket.subject] <= 0:
                        del self._subjects[ticket.subject]
            for ticket in group:
                ticket.done = True
                ticket.woken.set()

    def _commit(self, group: list[_Ticket[Any]]) -> None:
        try:
            try:
                # A group's new schemas take ids set aside as it locks, so that their writes
                # go with the commit rather than a round trip each, while it holds the locks.
                self._run_group(group, new_ids=len(group) if len(group) > 1 else 0)
            except DeferredWriteClash:
                # Another process stored one of the schemas meanwhile (rare): run the group
                # again, each store then finding what is there.
                for ticket in group:
                    ticket.result = ticket.error = None
                self._run_group(group, new_ids=0)
        except BaseException as error:
            for ticket in group:
                ticket.result = None
                if ticket.error is None:
                    ticket.error = error

    def _run_group(self, group: list[_Ticket[Any]], *, new_ids: int) -> None:
        with self._store.transaction() as tx:
            fingerprints: dict[str, list[str]] = {}
            for ticket in group:
                fingerprints.setdefault(ticket.subject, []).append(ticket.fingerprint)
            counts = tx.lock_subjects(subjects=list(fingerprints), new_ids=new_ids)
            subjects = {
                subject: SubjectInGroup(counts[subject], fingerprints[subject])
                for subject in fingerprints
            }
            new_schemas: NewSchemas = {}
            for ticket in sorted(group, key=lambda ticket: ticket.fingerprint):
                try:
                    ticket.result = ticket.work(tx, Turn(new_schemas, subjects[ticket.subject]))
                except RegistryError as error:
                    if error.http_status >= 500:
                        raise
                    ticket.error = error
