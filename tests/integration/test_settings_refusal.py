"""Each service refuses to start on a mistyped variable of its prefix, and names it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

CASES = [
    ("registry", "REGISTRY_PORTT", "REGISTRY_PORT"),
    ("producer_api", "API_PORTT", "API_PORT"),
    ("producer_api.relay", "RELAY_BATCH_SIZ", "RELAY_BATCH_SIZE"),
    ("consumer", "CONSUMER_MAX_RECORD", "CONSUMER_MAX_RECORDS"),
    ("console", "CONSOLE_WRITE_ACCES", "CONSOLE_WRITE_ACCESS"),
]


@pytest.mark.parametrize(("module", "mistyped", "meant"), CASES)
def test_a_service_refuses_a_mistyped_variable(module: str, mistyped: str, meant: str) -> None:
    # Nothing else is set: the refusal comes before any connection is tried.
    environment = {**os.environ, mistyped: "5"}
    result = subprocess.run(
        [sys.executable, "-m", module],
        env=environment,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert f"{mistyped} is not a setting of this service; did you mean {meant}?" in result.stderr
