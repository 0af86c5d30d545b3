"""Users API: POST /users with its outbox row against inserting the user alone, same server."""

from __future__ import annotations

import json
import os
import uuid

from bench.load import Request, requests_per_second
from bench.report import Measure
from bench.services import bench_stack
from stack.apps import ApiApp
from stack.runner import start_service

SECONDS = 8.0
CONCURRENCY = 8


def _body(prefix: str) -> Request:
    batch = uuid.uuid4().hex[:8]

    def make(sequence: int) -> bytes:
        user = {
            "username": f"{prefix}-{batch}-{sequence}",
            "country_code": "BE",
            "created_at": "2021-01-01 00:00:00",
        }
        return json.dumps(user).encode()

    path = "/users" if prefix == "with-event" else "/_bench/users"
    return Request("POST", path, content_type="application/json", body_factory=make)


def run() -> list[Measure]:
    with bench_stack(kafka=False) as stack:
        os.environ["API_BENCHMARK_ROUTES"] = "true"
        api = ApiApp(stack.settings)
        try:
            start_service(api, echo=print)
            # Alternate, so that both sides see the same table sizes and the same noise.
            ours, baseline = 0.0, 0.0
            for _ in range(2):
                baseline += requests_per_second(
                    api.url, _body("user-only"), seconds=SECONDS / 2, concurrency=CONCURRENCY
                )
                ours += requests_per_second(
                    api.url, _body("with-event"), seconds=SECONDS / 2, concurrency=CONCURRENCY
                )
        finally:
            os.environ.pop("API_BENCHMARK_ROUTES", None)
            api.process.stop(timeout=20.0)
    return [
        Measure(
            "api POST /users (user + outbox row)",
            "req/s",
            ours / 2,
            baseline / 2,
            "POST /_bench/users (user alone), req/s",
            0.85,
        )
    ]
