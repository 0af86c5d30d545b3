"""Running a client program against the registry, and checking what it printed."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.clients.transcript import ClientSpec, Transcript
from tests.conftest import REPO_ROOT

CLIENTS_DIR = REPO_ROOT / "tests" / "clients"
SCHEMAS_DIR = CLIENTS_DIR / "schemas"
JS_DIR = CLIENTS_DIR / "js"
GO_DIR = CLIENTS_DIR / "go"
GO_BINARY = GO_DIR / "bin" / "registry-client-go"
RUN_TIMEOUT = 120.0

Command = Callable[[str, str], list[str]]


@dataclass(frozen=True)
class ClientRun:
    spec: ClientSpec
    backend: str
    prefix: str
    returncode: int
    transcript: Transcript
    stderr: str
    seconds: float


RUNS: dict[tuple[str, str], ClientRun] = {}


def run_client(spec: ClientSpec, command: Command, registry_url: str, backend: str) -> ClientRun:
    """The program's run against this registry, started on first use and kept."""
    key = (spec.name, registry_url)
    if key not in RUNS:
        # Subjects of this run only: `<prefix>-address`, `<prefix>-value` (topic `<prefix>`).
        prefix = f"clients-{spec.name}-{uuid.uuid4().hex[:8]}"
        started = time.monotonic()
        done = subprocess.run(
            command(registry_url, prefix),
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        RUNS[key] = ClientRun(
            spec=spec,
            backend=backend,
            prefix=prefix,
            returncode=done.returncode,
            transcript=Transcript.parse(done.stdout),
            stderr=done.stderr,
            seconds=time.monotonic() - started,
        )
    return RUNS[key]


def check_exit_status(run: ClientRun) -> None:
    """The program ran every step it offers, once, and its exit status says whether all passed."""
    transcript = run.transcript
    assert transcript.order == list(run.spec.steps), (
        f"{run.spec.name} printed steps {transcript.order}, expected {list(run.spec.steps)}; "
        f"stderr:\n{run.stderr}"
    )
    expected = 1 if transcript.failed else 0
    assert run.returncode == expected, (
        f"{run.spec.name} exited {run.returncode}, expected {expected} "
        f"(failed steps: {transcript.failed}); stderr:\n{run.stderr}"
    )


def step_cases(specs: list[ClientSpec]) -> list[object]:
    """(client, step) parameters, one per step each client offers, with readable ids."""
    return [
        pytest.param(spec, step, id=f"{spec.name}-{step}") for spec in specs for step in spec.steps
    ]


def required_tool(name: str, why: str) -> str:
    """The tool's path; a missing tool fails the test, naming it (CI has them all)."""
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"`{name}` is not on PATH: {why}", pytrace=False)
    return found
