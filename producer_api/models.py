"""The API's request and response bodies (pydantic), and their validation rules.

`parse_new_user` is the only way a request body becomes a `NewUser`: it turns pydantic's
errors into `InvalidRequestError` with one entry per field at fault and our own messages,
never the rejected values.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from typing import Annotated

import pycountry
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    ValidationError,
    field_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from producer_api.errors import FieldError, InvalidRequestError
from producer_api.events import NewUser
from producer_api.users import StoredUser

# The format of the original API; read as UTC when it carries no offset.
ORIGINAL_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
USERNAME_MAX = 100
# PostgreSQL cannot store NUL, and control characters or lone surrogates in a name are
# mistakes (or attacks on whoever displays it), never a user's intent.
_FORBIDDEN_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_TIME_HINT = "'YYYY-MM-DD HH:MM:SS' (UTC) or ISO 8601"
# Our messages for pydantic's error types; anything else keeps pydantic's text, which
# names the rule (a length, a type) and never the rejected value.
_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a field of this request",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "string_too_short": "must not be empty",
    "string_too_long": f"must be at most {USERNAME_MAX} characters",
    "json_invalid": "must be a JSON object; this body is not valid JSON",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
}
_BODY = "body"


@cache
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes; built on first call (create_app warms it), not at import."""
    return frozenset(country.alpha_2 for country in pycountry.countries)


class NewUserRequest(BaseModel):
    """Body of `POST /users`: the original API's fields."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    username: Annotated[StrictStr, Field(min_length=1, max_length=USERNAME_MAX)]
    country_code: StrictStr
    created_at: datetime
    is_a_dog: StrictBool = False

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        if not value.strip():
            raise PydanticCustomError("blank", "must not be blank")
        if _FORBIDDEN_CHARACTERS.search(value):
            raise PydanticCustomError("control_character", "must not contain control characters")
        return value

    @field_validator("country_code")
    @classmethod
    def _country_code(cls, value: str) -> str:
        # ASCII only: str.upper() would turn "ß" into "SS", which is a country (South Sudan).
        code = value.upper() if value.isascii() else ""
        if code not in country_codes():
            raise PydanticCustomError(
                "country_code", "must be an ISO 3166-1 alpha-2 country code, such as BE"
            )
        return code

    @field_validator("created_at", mode="before")
    @classmethod
    def _created_at(cls, value: object) -> datetime:
        if not isinstance(value, str):
            raise PydanticCustomError("datetime_type", f"must be a string: {_TIME_HINT}")
        return parse_created_at(value)

    def to_new_user(self) -> NewUser:
        return NewUser(
            username=self.username,
            country_code=self.country_code,
            created_at=self.created_at,
            is_a_dog=self.is_a_dog,
        )


def parse_created_at(text: str) -> datetime:
    """The original API's format or ISO 8601, as an aware UTC datetime."""
    try:
        # fromisoformat is fast and reads the original format too when zero-padded.
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = datetime.strptime(text, ORIGINAL_TIME_FORMAT)
        except ValueError:
            raise PydanticCustomError(
                "datetime_format", f"must be a valid date and time: {_TIME_HINT}"
            ) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError(
            "datetime_range", "must be a date and time between years 1 and 9999 in UTC"
        ) from None


def parse_new_user(body: bytes) -> NewUser:
    """The validated user of a `POST /users` body; InvalidRequestError naming each bad field."""
    try:
        return NewUserRequest.model_validate_json(body).to_new_user()
    except ValidationError as error:
        raise InvalidRequestError(field_errors(error)) from None


def field_errors(error: ValidationError) -> list[FieldError]:
    problems = [
        FieldError(_field(detail), _MESSAGES.get(detail["type"], detail["msg"]))
        for detail in error.errors(include_url=False, include_input=False, include_context=False)
    ]
    return problems or [FieldError(_BODY, "is not a valid request")]


def _field(detail: ErrorDetails) -> str:
    return ".".join(str(part) for part in detail["loc"]) or _BODY


class UserResponse(BaseModel):
    """A user as the API shows it: `created_at` in ISO 8601, UTC."""

    model_config = ConfigDict(frozen=True)

    id: int
    username: str
    country_code: str
    created_at: datetime
    is_a_dog: bool
    api_version: str

    @classmethod
    def of(cls, user: StoredUser) -> UserResponse:
        return cls(
            id=user.id,
            username=user.username,
            country_code=user.country_code,
            created_at=user.created_at.astimezone(UTC),
            is_a_dog=user.is_a_dog,
            api_version=user.api_version,
        )
