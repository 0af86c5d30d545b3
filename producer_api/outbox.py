"""Writing a user and its event in one transaction; the relay's claim and mark statements."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from producer_api.contract import EventContract
from producer_api.events import AGGREGATE_TYPE, EVENT_TYPE, NewUser
from producer_api.tables import API_VERSION, BUCKETS


class UsernameTakenError(Exception):
    """Another user already has this username."""


@dataclass(frozen=True)
class CreatedUser:
    id: int
    username: str
    country_code: str
    created_at: datetime
    is_a_dog: bool
    api_version: str
    event_id: uuid.UUID


# One statement, one round trip: the user row, then the outbox row built from the user's
# new id (as key, bucket and the event's user_id). Both commit or neither. A taken username
# inserts nothing and returns no row: no unique-violation error, which PostgreSQL would log
# with the username in it.
_INSERT_USER_AND_EVENT = sa.text(
    """
    WITH new_user AS (
        INSERT INTO users (username, country_code, created_at, is_a_dog, api_version)
        VALUES (:username, :country_code, :created_at, :is_a_dog, :api_version)
        ON CONFLICT (username) DO NOTHING
        RETURNING id, username, country_code, created_at, is_a_dog, api_version
    ), new_event AS (
        INSERT INTO outbox (event_id, aggregate_type, aggregate_id, event_type, topic,
                            message_key, bucket, payload, schema_subject, schema_version)
        SELECT :event_id, :aggregate_type, new_user.id::text, :event_type, :topic,
               new_user.id::text, new_user.id % :buckets,
               jsonb_set(CAST(:payload AS jsonb), '{user_id}', to_jsonb(new_user.id)),
               :schema_subject, :schema_version
        FROM new_user
    )
    SELECT id, username, country_code, created_at, is_a_dog, api_version FROM new_user
    """
)

_INSERT_USER_ONLY = sa.text(
    """
    INSERT INTO users (username, country_code, created_at, is_a_dog, api_version)
    VALUES (:username, :country_code, :created_at, :is_a_dog, :api_version)
    ON CONFLICT (username) DO NOTHING
    RETURNING id, username, country_code, created_at, is_a_dog, api_version
    """
)


def insert_user_with_event(
    connection: sa.Connection,
    user: NewUser,
    *,
    event: dict[str, Any],
    event_id: uuid.UUID,
    contract: EventContract,
    topic: str,
) -> CreatedUser:
    """Insert the user and its outbox row; UsernameTakenError on a duplicate username."""
    parameters = {
        **_user_parameters(user),
        "event_id": event_id,
        "aggregate_type": AGGREGATE_TYPE,
        "event_type": EVENT_TYPE,
        "topic": topic,
        "buckets": BUCKETS,
        "payload": json.dumps(event),
        "schema_subject": contract.subject,
        "schema_version": contract.version,
    }
    row = _execute(connection, _INSERT_USER_AND_EVENT, parameters)
    return CreatedUser(**row, event_id=event_id)


def insert_user_only(connection: sa.Connection, user: NewUser) -> CreatedUser:
    """The user without its event: the baseline of the write-path benchmark, nothing else."""
    row = _execute(connection, _INSERT_USER_ONLY, _user_parameters(user))
    return CreatedUser(**row, event_id=uuid.UUID(int=0))


def _user_parameters(user: NewUser) -> dict[str, Any]:
    return {
        "username": user.username,
        "country_code": user.country_code,
        "created_at": user.created_at,
        "is_a_dog": user.is_a_dog,
        "api_version": API_VERSION,
    }


def _execute(
    connection: sa.Connection, statement: sa.TextClause, parameters: dict[str, Any]
) -> dict[str, Any]:
    row = connection.execute(statement, parameters).mappings().one_or_none()
    if row is None:
        raise UsernameTakenError
    return dict(row)
