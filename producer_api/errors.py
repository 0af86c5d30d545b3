"""Errors the users API reports: each class carries its HTTP status and the fields at fault.

Only `app.py` turns them into responses, all in the one shape
`{"errors": [{"field": str | null, "message": str}]}`. Messages never repeat the input: they
may be logged by a proxy, and an input value can be personal data (a username).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem; ``field`` is None when no field of the request is at fault."""

    field: str | None
    message: str

    def to_json(self) -> dict[str, str | None]:
        return {"field": self.field, "message": self.message}


class ApiError(Exception):
    """Base of every error the API answers with; subclasses fix the status."""

    http_status = 500

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{error.field}: {error.message}" for error in errors))
        self.errors = errors


class InvalidRequestError(ApiError):
    """The body is not JSON, not an object, or fields break the request's rules."""

    http_status = 400


class UnsupportedMediaTypeError(ApiError):
    http_status = 415

    def __init__(self) -> None:
        super().__init__([FieldError(None, "the body must be JSON: Content-Type application/json")])


class UserNotFoundError(ApiError):
    http_status = 404

    def __init__(self) -> None:
        super().__init__([FieldError("id", "no user has this id")])


class UsernameConflictError(ApiError):
    http_status = 409

    def __init__(self) -> None:
        super().__init__([FieldError("username", "this username is already taken")])


class EventNotEncodableError(ApiError):
    """The event the request would emit does not fit the Avro contract; nothing was written."""

    http_status = 422


class DatabaseUnavailableError(ApiError):
    http_status = 503

    def __init__(self) -> None:
        super().__init__([FieldError(None, "the database is unavailable; retry later")])
