"""Go: franz-go's pkg/sr client and its Serde (with hamba/avro), unmodified, from the modules
pinned in go/go.sum; go/main.go is built once per session and run against the registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clients.support import (
    SCHEMAS_DIR,
    ClientRun,
    check_exit_status,
    run_client,
)
from tests.clients.transcript import ClientSpec, check_step, steps_except

FRANZ_GO = ClientSpec(
    "go-franz",
    steps_except("lookup-address", "compatibility-check"),
    # Its DeleteSchema answers with an error or nothing, not the version deleted.
    omits={"soft-delete-version": frozenset({"deleted"})},
)


@pytest.fixture
def run(go_client: Path, registry_url: str, backend: str) -> ClientRun:
    def command(url: str, prefix: str) -> list[str]:
        return [str(go_client), url, prefix, str(SCHEMAS_DIR)]

    return run_client(FRANZ_GO, command, registry_url, backend)


def test_exit_status(run: ClientRun) -> None:
    check_exit_status(run)


@pytest.mark.parametrize("step", FRANZ_GO.steps)
def test_step(run: ClientRun, step: str) -> None:
    check_step(run.transcript, step, run.spec, run.prefix)
