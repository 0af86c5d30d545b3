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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from registry.errors import RegistryError
from registry.model import StoredSchema
from registry.schema import ParsedSchema
from registry.storage import RegistryStore, StoreTransaction

T = TypeVar("T")
# Schemas stored by earlier registrations of a group, by id, until it commits: the catalog
# keeps only committed ones (on SQLite, a rolled back id is handed out again).
NewSchemas = dict[int, tuple[StoredSchema, ParsedSchema]]


@dataclass(frozen=True)
class Turn:
    """What one registration's work learns from its group."""

    new_schemas: NewSchemas
    # The subject's change count as this group's lock left it, for the first of the
    # subject's registrations in the group; None for later ones (the group changed it).
    subject_changes: int | None


Work = Callable[[StoreTransaction, Turn], T]


class _Ticket(Generic[T]):
    """One registration's place in the queue, and then its answer."""

    def __init__(self, subject: str, work: Work[T]) -> None:
        self.subject = subject
        self.work = work
        # Set when the answer is in, or when this ticket is to run the queue next.
        self.woken = threading.Event()
        self.done = False
        self.result: T | None = None
        self.error: BaseException | None = None


class GroupCommit:
    """Where the database runs one writer at a time (SQLite), every registration joins one
    queue. Otherwise (PostgreSQL) each subject has its own: a group then holds one subject's
    lock, as a lone registration does, and never waits for another subject's lock while it
    holds a schema that group may be waiting to store (that would be a deadlock)."""

    def __init__(self, store: RegistryStore) -> None:
        self._store = store
        self._one_queue = store.one_writer_at_a_time
        self._mutex = threading.Lock()
        self._queues: dict[str, list[_Ticket[Any]]] = {}

    def run(self, subject: str, work: Work[T]) -> T:
        """``work`` in a transaction holding ``subject``'s lock, perhaps with others';
        its answer once that transaction committed."""
        ticket = _Ticket(subject, work)
        key = "" if self._one_queue else subject
        with self._mutex:
            # A queue is there while its group runs: the first to find none leads.
            queue = self._queues.get(key)
            leads = queue is None
            if queue is None:
                queue = self._queues[key] = []
            queue.append(ticket)
        if not leads:
            ticket.woken.wait()
        if not ticket.done:
            self._run_queue(key)
        if ticket.error is not None:
            raise ticket.error
        return ticket.result  # type: ignore[return-value]

    def _run_queue(self, key: str) -> None:
        """Run what is queued (the caller's ticket included), then hand over to the next
        in the queue: each caller runs at most one group, so none waits on others' turns."""
        with self._mutex:
            group, self._queues[key] = self._queues[key], []
        try:
            self._commit(group)
        finally:
            with self._mutex:
                waiting = self._queues[key]
                if waiting:
                    waiting[0].woken.set()
                else:
                    del self._queues[key]
            for ticket in group:
                ticket.done = True
                ticket.woken.set()

    def _commit(self, group: list[_Ticket[Any]]) -> None:
        # Subjects locked in one order by every group (with one queue, on SQLite, a group
        # holds several; the order costs nothing and keeps that safe elsewhere too).
        ordered = sorted(group, key=lambda ticket: ticket.subject)
        try:
            with self._store.transaction() as tx:
                locked: set[str] = set()
                new_schemas: NewSchemas = {}
                for ticket in ordered:
                    changes = None
                    if ticket.subject not in locked:
                        changes = tx.lock_subject(subject=ticket.subject)
                        locked.add(ticket.subject)
                    try:
                        ticket.result = ticket.work(tx, Turn(new_schemas, changes))
                    except RegistryError as error:
                        if error.http_status >= 500:
                            raise
                        ticket.error = error
        except BaseException as error:
            for ticket in group:
                ticket.result = None
                if ticket.error is None:
                    ticket.error = error
