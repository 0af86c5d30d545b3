"""The console's errors, each with the HTTP status its page answers with."""

from __future__ import annotations


class ConsoleError(Exception):
    """A page that cannot be shown; ``status`` is its HTTP status."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequestError(ConsoleError):
    status = 400


class NotFoundError(ConsoleError):
    status = 404


class WriteAccessOffError(ConsoleError):
    """A form that would change something, while the console is read-only."""

    status = 403

    def __init__(self) -> None:
        super().__init__(
            "This console is read-only: start it with CONSOLE_WRITE_ACCESS=true to register."
        )


class RegistryUnavailableError(ConsoleError):
    status = 502


class RegistryRefusedError(ConsoleError):
    """The registry answered with an error: its status, Confluent error code and message."""

    def __init__(self, status: int, error_code: int | None, message: str) -> None:
        super().__init__(message)
        self.status = status if 400 <= status < 600 else 502
        self.error_code = error_code
