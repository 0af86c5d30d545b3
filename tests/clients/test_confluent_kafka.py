"""confluent_kafka's SchemaRegistryClient and AsyncSchemaRegistryClient, unmodified, each run
as its own process (py/confluent_run.py) against the registry over HTTP."""

from __future__ import annotations

import sys

import pytest

from tests.clients.support import (
    SCHEMAS_DIR,
    ClientRun,
    check_client_step,
    check_exit_status,
    run_client,
    step_cases,
)
from tests.clients.transcript import ClientSpec

STEPS = (
    "register-address",
    "register-user",
    "guid",
    "lookup",
    "get-by-id",
    "get-by-guid",
    "register-v2",
    "latest-version",
    "register-incompatible",
    "set-compatibility",
    "get-compatibility",
    "set-mode",
    "get-mode",
    "register-in-read-only",
    "set-mode-back",
    "serialize",
    "deserialize",
    "soft-delete-version",
    "versions-after-soft-delete",
    "soft-delete-subject",
    "hard-delete-subject",
    "versions-after-hard-delete",
)
CLIENTS = [ClientSpec("python-sync", STEPS), ClientSpec("python-async", STEPS)]


@pytest.fixture
def run(spec: ClientSpec, registry_url: str, backend: str) -> ClientRun:
    flavour = spec.name.removeprefix("python-")

    def command(url: str, prefix: str) -> list[str]:
        module = "tests.clients.py.confluent_run"
        return [sys.executable, "-m", module, flavour, url, prefix, str(SCHEMAS_DIR)]

    return run_client(spec, command, registry_url, backend)


@pytest.mark.parametrize("spec", CLIENTS, ids=[spec.name for spec in CLIENTS])
def test_exit_status(run: ClientRun, spec: ClientSpec) -> None:
    check_exit_status(run)


@pytest.mark.parametrize(("spec", "step"), step_cases(CLIENTS))
def test_step(run: ClientRun, spec: ClientSpec, step: str, registry_serves_guids: bool) -> None:
    check_client_step(run, step, registry_serves_guids)
