"""Fixtures of the client matrix: the toolchains, the guid probe, and the transcripts printed.

The registry is the session's `registry_url` (tests/conftest.py): a real process over HTTP,
on PostgreSQL and on SQLite. Each client program runs once per registry (support.run_client);
the tests check its transcript step by step, and every transcript is printed at the end of
the session so the log shows what each client did.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.clients.support import GO_BINARY, GO_DIR, JS_DIR, RUNS, required_tool


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """Which registry the test runs against: `postgresql` or `sqlite`."""
    return str(request.node.callspec.params["registry_url"])


@pytest.fixture(scope="session")
def node() -> str:
    """Node.js, with the packages `make client-deps` installs."""
    path = required_tool("node", "the JavaScript clients need Node.js 20+ and npm")
    version = subprocess.run(
        [path, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < 20:
        pytest.fail(f"Node.js {version} is too old: the JavaScript clients need 20+", pytrace=False)
    if not (JS_DIR / "node_modules" / ".package-lock.json").is_file():
        pytest.fail(
            f"{JS_DIR / 'node_modules'} is missing: `make client-deps` installs the pinned "
            "JavaScript clients",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def go_client() -> Path:
    """The Go client program, built once per session from tests/clients/go."""
    go = required_tool("go", "the Go client (franz-go's sr) is built with the Go toolchain")
    environment = {**os.environ, "GOFLAGS": "-mod=mod -buildvcs=false"}
    built = subprocess.run(
        [go, "build", "-o", str(GO_BINARY), "."],
        cwd=GO_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if built.returncode != 0:
        pytest.fail(f"go build failed in {GO_DIR}:\n{built.stderr}", pytrace=False)
    return GO_BINARY


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not RUNS:
        return
    terminalreporter.section("registry clients")
    for run in sorted(RUNS.values(), key=lambda run: (run.spec.name, run.backend)):
        terminalreporter.write_line(
            f"{run.spec.name} on {run.backend}: exit {run.returncode}, {run.seconds:.1f} s"
        )
        for line in run.transcript.lines:
            terminalreporter.write_line(f"  {line}")
