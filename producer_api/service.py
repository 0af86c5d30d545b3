"""The users API's rules: create a user with its event, read a user. No Flask here.

Database outages are not translated here: SQLAlchemy's connection errors reach `app.py`,
whose one error mapping answers 503 for every route alike.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import sqlalchemy as sa

from contract.event_schema import EventContract, EventSchemaError
from producer_api.errors import (
    EventNotEncodableError,
    FieldError,
    UsernameConflictError,
    UserNotFoundError,
)
from producer_api.events import NewUser, user_created_event, user_created_kind
from producer_api.outbox.wakeup import RelayWaker
from producer_api.outbox.write import EventKind
from producer_api.users import (
    StoredUser,
    UsernameTakenError,
    insert_user_with_event,
    select_user,
)

# Ids are BIGINT: a larger one cannot exist, and PostgreSQL would refuse to compare it.
MAX_USER_ID = 2**63 - 1
# fastavro names the field at fault first: "ns.Record.field is <…>" or "Field(ns.Record.field)".
_PROBLEM_PATH = re.compile(r"^(?:Field\()?(?P<path>[\w.]+)")

_SELECT_ONE = sa.text("SELECT 1")


@dataclass(frozen=True)
class UserEvents:
    """Where a new user's event goes: its contract, its topic, and the relay to wake."""

    contract: EventContract
    topic: str
    waker: RelayWaker

    @cached_property
    def kind(self) -> EventKind:
        """What each of these events' outbox rows shares."""
        return user_created_kind(self.contract, self.topic)


def create_user(engine: sa.Engine, user: NewUser, *, events: UserEvents) -> StoredUser:
    """Insert the user and its UserCreated event in one transaction, then wake the relay.

    Raises:
        EventNotEncodableError: the event does not fit the Avro contract; nothing is written.
        UsernameConflictError: another user has this username; nothing is written.
    """
    event_id = uuid.uuid4()
    event = user_created_event(user, event_id=event_id, event_time=datetime.now(UTC))
    try:
        event = events.contract.conform(event)
    except EventSchemaError as error:
        raise EventNotEncodableError(_event_problems(error, events.contract)) from None
    try:
        created = _insert_once_more_on_a_stale_connection(engine, user, event, event_id, events)
    except UsernameTakenError:
        raise UsernameConflictError from None
    # After the commit: a relay woken earlier would not see the row yet.
    events.waker.poke()
    return created


def _insert_once_more_on_a_stale_connection(
    engine: sa.Engine,
    user: NewUser,
    event: dict[str, Any],
    event_id: uuid.UUID,
    events: UserEvents,
) -> StoredUser:
    """The insert, tried again once when its connection turned out dead before the insert
    ran: the pool keeps connections from before a database restart (no pre-ping, which costs
    a round trip per request), and on the first one's failure drops every connection of its
    age, so the second try gets a new one. Each gunicorn worker has its own pool: without
    this, each answered one 503 after the database came back. A connection lost after the
    insert ran (during COMMIT) is not retried: the user may exist."""
    progress: list[str] = []
    try:
        return _insert_in_one_transaction(engine, user, event, event_id, events, progress)
    except sa.exc.DBAPIError as error:
        if progress or not error.connection_invalidated:
            raise
    return _insert_in_one_transaction(engine, user, event, event_id, events, progress)


def _insert_in_one_transaction(
    engine: sa.Engine,
    user: NewUser,
    event: dict[str, Any],
    event_id: uuid.UUID,
    events: UserEvents,
    progress: list[str],
) -> StoredUser:
    with engine.begin() as connection:
        created = insert_user_with_event(
            connection, user, event=event, event_id=event_id, kind=events.kind
        )
        progress.append("inserted")
    return created


def find_user(engine: sa.Engine, user_id: int) -> StoredUser:
    """The user with this id; UserNotFoundError if there is none."""
    if not 0 < user_id <= MAX_USER_ID:
        raise UserNotFoundError
    with engine.connect() as connection:
        found = select_user(connection, user_id)
    if found is None:
        raise UserNotFoundError
    return found


def check_database(engine: sa.Engine) -> None:
    """One `SELECT 1`; SQLAlchemy's error when the database does not answer."""
    with engine.connect() as connection:
        connection.execute(_SELECT_ONE)


def _event_problems(error: EventSchemaError, contract: EventContract) -> list[FieldError]:
    """The fields fastavro names, without the values it quotes (they are user input)."""
    fields: list[str] = []
    for problem in error.problems:
        found = _PROBLEM_PATH.match(problem)
        name = found.group("path").rsplit(".", 1)[-1] if found else ""
        field = name if name in contract.field_names else "event"
        if field not in fields:
            fields.append(field)
    message = (
        f"the {contract.subject} schema (version {contract.version}) cannot encode this "
        "value; nothing was written"
    )
    return [FieldError(field, message) for field in fields or ["event"]]
