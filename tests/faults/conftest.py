"""One whole local stack for the fault scenarios, and their figures printed at the end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stack.settings import StackSettings
from tests.conftest import ProcessDirs, shared_jar_dir
from tests.faults.support import FaultStack, Figures, running

_FIGURES: list[str] = []


@pytest.fixture(scope="session")
def fault_stack(process_dirs: ProcessDirs) -> Iterator[FaultStack]:
    state = process_dirs.make("fault-stack")
    with running(StackSettings.on_free_ports(state, kafka_jar_dir=shared_jar_dir())) as stack:
        yield stack


@pytest.fixture
def report() -> Figures:
    return _FIGURES.append


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _FIGURES:
        terminalreporter.section("fault scenarios")
        for line in _FIGURES:
            terminalreporter.write_line(line)
