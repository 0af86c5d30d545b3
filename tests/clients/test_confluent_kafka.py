"""confluent_kafka's SchemaRegistryClient and AsyncSchemaRegistryClient, unmodified, each run
as its own process (py/confluent_run.py) against the registry over HTTP."""

from __future__ import annotations

import sys

import pytest

from tests.clients.support import (
    SCHEMAS_DIR,
    ClientRun,
    check_exit_status,
    run_client,
    step_cases,
)
from tests.clients.transcript import ClientSpec, check_step, steps_except

STEPS = steps_except("lookup-address", "compatibility-check")
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
def test_step(run: ClientRun, spec: ClientSpec, step: str) -> None:
    check_step(run.transcript, step, run.spec, run.prefix)
