"""Random JSON bodies against POST /users: whatever the body, users and outbox stay paired.

The bodies range from arbitrary JSON to valid users, some with one or two fields missing or
wrong; each answer must be documented, and after each the database must hold exactly one
outbox row per user, each naming its user.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pycountry
import requests
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.producer_api.conftest import RunningApi, row_counts

DOCUMENTED = {201, 400, 409, 422}
FIELDS = ("username", "country_code", "created_at", "is_a_dog")

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=8,
)
OFFSETS: list[timezone | None] = [
    None,
    UTC,
    timezone(timedelta(hours=-11)),
    timezone(timedelta(hours=14)),
]
# A day in from each end of the range, so that any of the offsets stays within years 1-9999.
moments = st.builds(
    lambda moment, offset: moment.replace(tzinfo=offset),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.sampled_from(OFFSETS),
)
created_at_texts = moments.flatmap(
    lambda moment: st.sampled_from(
        [
            moment.isoformat(),
            moment.isoformat(sep=" "),
            # The original API's format; not strftime, whose %Y does not pad years below 1000.
            moment.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds"),
        ]
    )
)
names = st.builds(
    lambda prefix, suffix: f"{prefix}{suffix.hex[:12]}",
    st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=40),
    st.uuids(),
)
plausible = {
    "username": names,
    "country_code": st.sampled_from(
        sorted(country.alpha_2 for country in pycountry.countries)
    ).flatmap(lambda code: st.sampled_from([code, code.lower()])),
    "created_at": created_at_texts,
    "is_a_dog": st.booleans(),
}
valid_users = st.fixed_dictionaries({field: plausible[field] for field in FIELDS})
# What a field may be instead: absent, any JSON value, or a string that is close but wrong.
wrong = {
    "username": st.text(max_size=120),
    "country_code": st.text(max_size=3),
    "created_at": st.text(max_size=30),
    "is_a_dog": json_values,
}


@st.composite
def user_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A valid user with one or two fields made missing or wrong; maybe an extra key."""
    body: dict[str, Any] = draw(valid_users)
    for field in draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=2, unique=True)):
        kind = draw(st.sampled_from(["missing", "json", "wrong"]))
        if kind == "missing":
            del body[field]
        else:
            body[field] = draw(json_values if kind == "json" else wrong[field])
    if draw(st.integers(0, 9)) == 0:
        body[draw(st.text(max_size=8))] = draw(json_values)
    return body


_EVENTS_OF_USER = sa.text("SELECT count(*) FROM outbox WHERE aggregate_id = :id")
_ORPHANS = sa.text(
    """
    SELECT (SELECT count(*) FROM users u
            WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.aggregate_id = u.id::text))
               AS users_without_event,
           (SELECT count(*) FROM outbox o
            WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id::text = o.aggregate_id))
               AS events_without_user,
           (SELECT count(*) FROM outbox o JOIN users u ON u.id::text = o.aggregate_id
            WHERE (o.payload ->> 'user_id')::bigint <> u.id
               OR o.payload ->> 'country_code' <> u.country_code)
               AS events_not_of_their_user
    """
)


def orphans(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return dict(connection.execute(_ORPHANS).mappings().one())


def events_of_user(engine: sa.Engine, user_id: int) -> int:
    with engine.connect() as connection:
        found: int = connection.execute(_EVENTS_OF_USER, {"id": str(user_id)}).scalar_one()
    return found


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# A third are valid users, so the write path is exercised as well as validation.
@given(body=valid_users | user_bodies() | json_values)
def test_no_user_without_its_event_and_no_event_without_its_user(
    api: RunningApi, tables: sa.Engine, body: Any
) -> None:
    answer = requests.post(
        api.url + "/users",
        data=json.dumps(body),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert answer.status_code in DOCUMENTED, answer.text
    if answer.status_code == 201:
        assert events_of_user(tables, answer.json()["id"]) == 1
    users, events = row_counts(tables)
    assert users == events
    assert orphans(tables) == {
        "users_without_event": 0,
        "events_without_user": 0,
        "events_not_of_their_user": 0,
    }
