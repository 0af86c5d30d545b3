"""JavaScript clients, unmodified, from the npm packages pinned in js/package-lock.json:
Confluent's @confluentinc/schemaregistry (js/confluent.mjs) and
@kafkajs/confluent-schema-registry (js/kafkajs.mjs), each against the registry over HTTP."""

from __future__ import annotations

import pytest

from tests.clients.support import (
    JS_DIR,
    SCHEMAS_DIR,
    ClientRun,
    check_exit_status,
    run_client,
    step_cases,
)
from tests.clients.transcript import ClientSpec, check_step, steps_except

CONFLUENT = ClientSpec(
    "js-confluent",
    # No mode calls in this client.
    steps_except(
        "lookup-address",
        "compatibility-check",
        "set-mode",
        "get-mode",
        "register-in-read-only",
        "set-mode-back",
    ),
)
KAFKAJS = ClientSpec(
    "js-kafkajs",
    (
        "register-address",
        "register-user",
        "lookup-address",
        "get-by-id",
        "register-v2",
        "latest-version",
        "register-incompatible",
        "compatibility-check",
        "serialize",
        "deserialize",
    ),
    # Its answers are ids and parsed schemas; its errors carry no error code.
    omits={
        "register-address": frozenset({"version"}),
        "register-user": frozenset({"version"}),
        "register-v2": frozenset({"version"}),
        "latest-version": frozenset({"version"}),
        "get-by-id": frozenset({"references"}),
        "register-incompatible": frozenset({"error_code"}),
    },
)
CLIENTS = [CONFLUENT, KAFKAJS]
SCRIPTS = {CONFLUENT.name: "confluent.mjs", KAFKAJS.name: "kafkajs.mjs"}


@pytest.fixture
def run(spec: ClientSpec, node: str, registry_url: str, backend: str) -> ClientRun:
    script = JS_DIR / SCRIPTS[spec.name]

    def command(url: str, prefix: str) -> list[str]:
        return [node, str(script), url, prefix, str(SCHEMAS_DIR)]

    return run_client(spec, command, registry_url, backend)


@pytest.mark.parametrize("spec", CLIENTS, ids=[spec.name for spec in CLIENTS])
def test_exit_status(run: ClientRun, spec: ClientSpec) -> None:
    check_exit_status(run)


@pytest.mark.parametrize(("spec", "step"), step_cases(CLIENTS))
def test_step(run: ClientRun, spec: ClientSpec, step: str) -> None:
    check_step(run.transcript, step, run.spec, run.prefix)
