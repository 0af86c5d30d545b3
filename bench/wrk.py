"""POST /users load from wrk, a compiled load generator (`make wrk` unpacks it).

A Python client took about a third of a core at the API's rates, on a machine of two, and
its share moved with the scheduler; wrk's event loop costs a fraction of that, so rounds
measure the services. The request script is bench/new_users.lua.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from bench.services import REPO_ROOT
from stack.debian import WRK, tool_command
from stack.settings import StackSettings

_SCRIPT = Path(__file__).with_name("new_users.lua")
# Keep-alive connections: enough that, spread over the API's workers by the kernel, each
# worker's share keeps its four threads busy.
CONNECTIONS = 64


@dataclass(frozen=True)
class WrkRound:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def new_users_round(url: str, *, prefix: str, seconds: float, path: str = "/users") -> WrkRound:
    """POST a new user to ``url`` + ``path`` for ``seconds`` over `CONNECTIONS` connections;
    any answer other than 2xx fails the round."""
    # Where `make wrk` put it: the checkout's cache, not the benchmark stack's folder.
    command, environment = tool_command(REPO_ROOT / StackSettings().tools / WRK.name, WRK)
    unique = f"{prefix}-{uuid.uuid4().hex[:8]}"
    finished = subprocess.run(  # noqa: S603
        [
            *command,
            "--threads=1",
            f"--connections={CONNECTIONS}",
            f"--duration={seconds:g}s",
            "--timeout=30s",
            f"--script={_SCRIPT}",
            urljoin(url, "/"),
            "--",
            unique,
            path,
        ],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    if finished.returncode != 0:
        raise RuntimeError(f"wrk failed: {finished.stderr or finished.stdout}")
    summary = json.loads(finished.stdout.strip().splitlines()[-1])
    failed = summary["status_errors"] + summary["socket_errors"]
    if failed:
        raise RuntimeError(f"POST {path}: {failed} of {summary['requests']} requests failed")
    return WrkRound(
        requests=summary["requests"],
        seconds=summary["duration_us"] / 1e6,
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
    )
