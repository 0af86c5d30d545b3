"""The users table: a new user with its event in one statement, and a user read back."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from producer_api.database import Base
from producer_api.events import NewUser
from producer_api.outbox.write import EventKind, insert_from

API_VERSION = "0.0.1"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    country_code: Mapped[str] = mapped_column(sa.String(2), nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    is_a_dog: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    api_version: Mapped[str] = mapped_column(sa.String(16), nullable=False, default=API_VERSION)
    inserted_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )

    __table_args__ = (sa.UniqueConstraint("username", name="uq_users_username"),)


@dataclass(frozen=True)
class StoredUser:
    """A row of the users table, as the API answers it."""

    id: int
    username: str
    country_code: str
    created_at: datetime
    is_a_dog: bool
    api_version: str


class UsernameTakenError(Exception):
    """Another user already has this username."""


# A taken username inserts nothing and returns no row: no unique-violation error, which
# PostgreSQL would log with the username in it.
INSERT_USER = """
    INSERT INTO users (username, country_code, created_at, is_a_dog, api_version)
    VALUES (:username, :country_code, :created_at, :is_a_dog, :api_version)
    ON CONFLICT (username) DO NOTHING
    RETURNING id, username, country_code, created_at, is_a_dog, api_version
"""

# One statement, one round trip: the user row, then the outbox row built from the user's
# new id (as key, bucket and the event's user_id). Both commit or neither.
_NEW_USER_EVENT = """
    SELECT CAST(:event_id AS uuid) AS event_id, new_user.id AS aggregate_id,
           jsonb_set(CAST(:payload AS jsonb), '{user_id}', to_jsonb(new_user.id)) AS payload
    FROM new_user
"""


@cache
def _insert_user_with_event(kind: EventKind) -> sa.TextClause:
    return sa.text(
        f"""
        WITH new_user AS ({INSERT_USER}), new_event AS ({insert_from(_NEW_USER_EVENT, kind)})
        SELECT id, username, country_code, created_at, is_a_dog, api_version FROM new_user
        """  # noqa: S608 (our own SQL text; values go as bind parameters or quoted literals)
    )


_SELECT_USER = sa.select(
    User.id, User.username, User.country_code, User.created_at, User.is_a_dog, User.api_version
).where(User.id == sa.bindparam("user_id"))


def insert_user_with_event(
    connection: sa.Connection,
    user: NewUser,
    *,
    event: dict[str, Any],
    event_id: uuid.UUID,
    kind: EventKind,
) -> StoredUser:
    """Insert the user and its event's outbox row; UsernameTakenError on a taken username."""
    parameters = {
        **user_parameters(user),
        "event_id": event_id,
        "payload": orjson.dumps(event).decode(),
    }
    row = connection.execute(_insert_user_with_event(kind), parameters).mappings().one_or_none()
    if row is None:
        raise UsernameTakenError
    return StoredUser(**row)


def user_parameters(user: NewUser) -> dict[str, Any]:
    """The bind parameters of `INSERT_USER`."""
    return {
        "username": user.username,
        "country_code": user.country_code,
        "created_at": user.created_at,
        "is_a_dog": user.is_a_dog,
        "api_version": API_VERSION,
    }


def select_user(connection: sa.Connection, user_id: int) -> StoredUser | None:
    row = connection.execute(_SELECT_USER, {"user_id": user_id}).mappings().one_or_none()
    return None if row is None else StoredUser(**row)
