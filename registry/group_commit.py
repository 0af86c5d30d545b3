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
    def __init__(self, store: RegistryStore) -> None:
        self._store = store
        self._mutex = threading.Lock()
        self._queue: list[_Ticket[Any]] = []
        self._running = False

    def run(self, subject: str, work: Work[T]) -> T:
        """``work`` in a transaction holding ``subject``'s lock, perhaps with others';
        its answer once that transaction committed."""
        ticket = _Ticket(subject, work)
        with self._mutex:
            self._queue.append(ticket)
            leads = not self._running
            self._running = True
        if not leads:
            ticket.woken.wait()
        if not ticket.done:
            self._run_queue()
        if ticket.error is not None:
            raise ticket.error
        return ticket.result  # type: ignore[return-value]

    def _run_queue(self) -> None:
        """Run what is queued (the caller's ticket included), then hand over to the next
        in the queue: each caller runs at most one group, so none waits on others' turns."""
        with self._mutex:
            group, self._queue = self._queue, []
        try:
            self._commit(group)
        finally:
            with self._mutex:
                if self._queue:
                    self._queue[0].woken.set()
                else:
                    self._running = False
            for ticket in group:
                ticket.done = True
                ticket.woken.set()

    def _commit(self, group: list[_Ticket[Any]]) -> None:
        # Locks taken in one order by every group: two processes' groups cannot deadlock.
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
