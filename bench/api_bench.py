"""Users API: POST /users with its outbox row against inserting the user alone, same server."""

from __future__ import annotations

import json
import statistics
import sys
import uuid

from bench.api_server import USER_ALONE_PATH
from bench.load import Request, requests_per_second
from bench.report import Measure, rounded
from bench.services import bench_stack
from stack.apps import ApiApp
from stack.runner import start_service


class BenchApiApp(ApiApp):
    """The stack's API service, served with the baseline route (bench/api_server.py)."""

    def command(self) -> list[str]:
        return [sys.executable, "-m", "bench.api_server"]


ROUNDS = 5
ROUND_SECONDS = 3.0
# Untimed load on both endpoints first: worker imports, connection pools, prepared
# statements and the tables' first pages; the first round measured otherwise swung by a third.
WARMUP_SECONDS = 2.0
CONCURRENCY = 8


def user_bodies(prefix: str, path: str = "/users") -> Request:
    """New users, named after ``prefix``, POSTed to ``path``."""
    batch = uuid.uuid4().hex[:8]

    def make(sequence: int) -> bytes:
        user = {
            "username": f"{prefix}-{batch}-{sequence}",
            "country_code": "BE",
            "created_at": "2021-01-01 00:00:00",
        }
        return json.dumps(user).encode()

    return Request("POST", path, content_type="application/json", body_factory=make)


def run() -> list[Measure]:
    with bench_stack(kafka=False) as stack:
        api = BenchApiApp(stack.settings)
        try:
            start_service(api, echo=print)
            for path in (USER_ALONE_PATH, "/users"):
                warmup = user_bodies("warmup", path)
                requests_per_second(
                    api.url, warmup, seconds=WARMUP_SECONDS, concurrency=CONCURRENCY
                )
            # Alternate, so that both sides see the same table sizes and the same noise, and
            # take each side's median, so one disturbed round does not decide the ratio.
            ours, baseline = [], []
            for _ in range(ROUNDS):
                baseline.append(round_rate(api.url, "user-only", USER_ALONE_PATH))
                ours.append(round_rate(api.url, "with-event"))
            print(f"POST /users req/s by round: {rounded(ours)}; user alone: {rounded(baseline)}")
        finally:
            api.process.stop(timeout=20.0)
    return [
        Measure(
            "api POST /users (user + outbox row)",
            "req/s",
            statistics.median(ours),
            statistics.median(baseline),
            f"POST {USER_ALONE_PATH} (user alone), req/s",
            0.85,
        )
    ]


def round_rate(url: str, prefix: str, path: str = "/users") -> float:
    return requests_per_second(
        url, user_bodies(prefix, path), seconds=ROUND_SECONDS, concurrency=CONCURRENCY, warmup=0.5
    )


def main() -> None:
    for measure in run():
        print(measure)


if __name__ == "__main__":
    main()
