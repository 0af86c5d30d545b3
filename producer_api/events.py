"""A created user → the UserCreated event: the one place that says what analysis gets.

The event carries analytical fields only. Not the username (personal data), not the
api_version (no analytical value). The user id is the database's, filled in by the same
statement that inserts the user (see users.py), so the event is built before the id exists.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from contract.event_schema import EventContract
from producer_api.outbox.write import EventKind

EVENT_TYPE = "UserCreated"
AGGREGATE_TYPE = "user"
SIGNUP_CHANNEL = "api"
# Placeholder the insert statement replaces with the new user's id.
USER_ID_PENDING = 0


@dataclass(frozen=True)
class NewUser:
    """A validated request: what the API writes to the users table."""

    username: str
    country_code: str
    created_at: datetime
    is_a_dog: bool


def epoch_millis(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def user_created_event(
    user: NewUser, *, event_id: uuid.UUID, event_time: datetime
) -> dict[str, Any]:
    return {
        "event_id": str(event_id),
        "event_time": epoch_millis(event_time),
        "user_id": USER_ID_PENDING,
        "country_code": user.country_code,
        "created_at": epoch_millis(user.created_at),
        "is_a_dog": user.is_a_dog,
        "signup_channel": SIGNUP_CHANNEL,
    }


def user_created_kind(contract: EventContract, topic: str) -> EventKind:
    """What the outbox rows of UserCreated events on ``topic`` share."""
    return EventKind(
        aggregate_type=AGGREGATE_TYPE,
        event_type=EVENT_TYPE,
        topic=topic,
        schema_subject=contract.subject,
        schema_version=contract.version,
    )
