"""The rules of a `POST /users` body: what is accepted, how it is normalised, what is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pycountry
import pytest
from hypothesis import given
from hypothesis import strategies as st

from producer_api.errors import InvalidRequestError
from producer_api.events import NewUser
from producer_api.models import USERNAME_MAX, parse_new_user


def raw(**fields: Any) -> bytes:
    body: dict[str, Any] = {
        "username": "jtr",
        "country_code": "BE",
        "created_at": "2021-01-01 00:00:00",
    }
    body.update(fields)
    return json.dumps({key: value for key, value in body.items() if value is not ...}).encode()


def refusal(body: bytes) -> dict[str | None, str]:
    with pytest.raises(InvalidRequestError) as caught:
        parse_new_user(body)
    return {error.field: error.message for error in caught.value.errors}


def test_the_original_body_gives_a_utc_user_who_is_not_a_dog() -> None:
    assert parse_new_user(raw()) == NewUser(
        username="jtr",
        country_code="BE",
        created_at=datetime(2021, 1, 1, tzinfo=UTC),
        is_a_dog=False,
    )


@pytest.mark.parametrize(
    ("created_at", "expected"),
    [
        ("2021-01-01 00:00:00", datetime(2021, 1, 1, tzinfo=UTC)),
        # strptime's format also takes unpadded fields, as the original API did.
        ("2021-1-1 0:0:0", datetime(2021, 1, 1, tzinfo=UTC)),
        ("2021-01-01T00:00:00", datetime(2021, 1, 1, tzinfo=UTC)),
        ("2021-01-01T00:00:00Z", datetime(2021, 1, 1, tzinfo=UTC)),
        ("2021-01-01T02:00:00+02:00", datetime(2021, 1, 1, tzinfo=UTC)),
        ("2020-12-31T19:00:00-05:00", datetime(2021, 1, 1, tzinfo=UTC)),
        ("2021-01-01T00:00:00.123456", datetime(2021, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)),
        ("2021-01-01", datetime(2021, 1, 1, tzinfo=UTC)),
    ],
)
def test_created_at_formats_read_as_utc(created_at: str, expected: datetime) -> None:
    parsed = parse_new_user(raw(created_at=created_at)).created_at
    assert parsed == expected
    assert parsed.utcoffset() is not None
    assert parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"username": ...}, "username"),
        ({"country_code": ...}, "country_code"),
        ({"created_at": ...}, "created_at"),
        ({"username": 7}, "username"),
        ({"username": None}, "username"),
        ({"username": ""}, "username"),
        ({"username": " \t "}, "username"),
        ({"username": "x" * (USERNAME_MAX + 1)}, "username"),
        ({"username": "tab\tinside"}, "username"),
        ({"username": "nul\u0000"}, "username"),
        ({"country_code": "ZZ"}, "country_code"),
        ({"country_code": "BEL"}, "country_code"),
        ({"country_code": "B"}, "country_code"),
        ({"country_code": " BE"}, "country_code"),
        ({"country_code": "\u00df"}, "country_code"),
        ({"country_code": 56}, "country_code"),
        ({"created_at": "2021-02-30 00:00:00"}, "created_at"),
        ({"created_at": "2021-01-01 25:00:00"}, "created_at"),
        ({"created_at": "01/01/2021"}, "created_at"),
        ({"created_at": 1609459200}, "created_at"),
        ({"created_at": None}, "created_at"),
        ({"created_at": "0001-01-01T00:00:00+01:00"}, "created_at"),
        ({"is_a_dog": "yes"}, "is_a_dog"),
        ({"is_a_dog": "true"}, "is_a_dog"),
        ({"is_a_dog": 1}, "is_a_dog"),
        ({"is_a_dog": 0}, "is_a_dog"),
        ({"is_a_dog": None}, "is_a_dog"),
        ({"id": 3}, "id"),
        ({"api_version": "9"}, "api_version"),
    ],
)
def test_each_refused_field_is_named(fields: dict[str, Any], field: str) -> None:
    assert set(refusal(raw(**fields))) == {field}


def test_every_field_at_fault_is_named_at_once() -> None:
    problems = refusal(raw(username="", country_code="XX", created_at="soon", is_a_dog="no"))
    assert set(problems) == {"username", "country_code", "created_at", "is_a_dog"}


@pytest.mark.parametrize("body", [b"", b"   ", b"{", b"not json", b"[]", b"null", b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_a_body_error(body: bytes) -> None:
    assert set(refusal(body)) == {"body"}


def test_messages_never_repeat_the_refused_values() -> None:
    marker = "marker-value-1234"
    problems = refusal(
        raw(username=marker * 10, country_code=marker, created_at=marker, is_a_dog=marker)
    )
    problems.update(refusal(raw(**{marker: 1})))
    assert len(problems) == 5
    for message in problems.values():
        assert marker not in message
    assert marker not in str(InvalidRequestError([]))


@given(country=st.sampled_from(sorted(country.alpha_2 for country in pycountry.countries)))
def test_every_alpha_2_code_is_accepted_in_any_case_and_stored_upper(country: str) -> None:
    for spelled in (country, country.lower(), country.title()):
        assert parse_new_user(raw(country_code=spelled)).country_code == country


@given(name=st.text(min_size=1, max_size=USERNAME_MAX))
def test_usernames_are_kept_as_given_or_refused_for_a_named_reason(name: str) -> None:
    try:
        user = parse_new_user(raw(username=name))
    except InvalidRequestError as error:
        assert [problem.field for problem in error.errors] == ["username"]
        assert not name.strip() or any(
            ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F or 0xD800 <= ord(char) <= 0xDFFF
            for char in name
        )
    else:
        assert user.username == name


def test_a_username_of_exactly_the_maximum_length_is_accepted() -> None:
    name = "é" * USERNAME_MAX
    assert parse_new_user(raw(username=name)).username == name
