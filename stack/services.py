"""What a service of the local stack is: a command, a readiness check, its dependencies."""

from __future__ import annotations

import signal
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path

from stack.process import ManagedProcess
from stack.settings import StackSettings

Echo = Callable[[str], None]


class Service(ABC):
    """One long-running process of the local stack.

    Subclasses say how to prepare it once (fetch jars, format storage), how to start it,
    when it is ready, and what to do right after (create a database).
    """

    name: str
    depends_on: tuple[str, ...] = ()
    stop_signal: signal.Signals = signal.SIGTERM
    ready_timeout: float = 60.0

    def __init__(self, settings: StackSettings) -> None:
        self.settings = settings

    @property
    @abstractmethod
    def port(self) -> int:
        """The port clients use; the state directory is keyed by it."""

    @abstractmethod
    def ports(self) -> dict[str, int]:
        """Every port the service binds, by the environment variable that sets it."""

    @abstractmethod
    def command(self) -> list[str]:
        """The command line that runs the service in the foreground."""

    @abstractmethod
    def is_ready(self) -> bool:
        """One quick probe: True once the service answers real requests."""

    @property
    def state_dir(self) -> Path:
        # Keyed by port so that a second stack on other ports can run beside the first.
        return self.settings.stack_dir / self.name / str(self.port)

    @property
    def process(self) -> ManagedProcess:
        return ManagedProcess(self.name, self.state_dir)

    def prepare(self, echo: Echo) -> None:  # noqa: B027 - optional hook
        """Set-up before each start (fetch jars, format storage); must be idempotent."""

    def environment(self) -> dict[str, str] | None:
        """Environment of the process; None inherits ours."""
        return None

    def run_as_user(self) -> str | None:
        return None

    def after_ready(self, echo: Echo) -> None:  # noqa: B027 - optional hook
        """Work that needs the service up (create a database); must be idempotent."""

    @abstractmethod
    def address(self) -> str:
        """Where clients reach it, as printed to the user."""

    def exports(self) -> dict[str, str]:
        """Environment variables a client sets to use this service."""
        return {}
