"""The console's pages: each answers within 300 ms on the walkthrough's data.

A stack of its own (Kafka, PostgreSQL, the registry holding the platform's schemas as
`make up` registers them, the events topic) and the console as `make up` runs it; the other
services are not started, so the flow page finds their /metrics silent. Each page is asked
40 times in a row after a warm-up, one request at a time; its p95 is set beside the p95 of
one request to the registry the pages are built from (`GET /subjects/{s}/versions/latest`),
timed the same way.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable

import requests

from bench.load import percentile_ms
from bench.report import Measure, print_table
from bench.services import REPO_ROOT, bench_stack, create_topic
from stack.apps import ConsoleApp
from stack.runner import start_service
from tests.console_pages import incompatible_candidate

REQUESTS = 40
WARMUP = 5
PAGE_MS = 300.0
SUBJECT = "user-events-value"


def run() -> list[Measure]:
    with bench_stack() as stack:
        subprocess.run(
            [sys.executable, "-m", "registry.cli", "register", "--schemas-dir", "schemas"],
            cwd=REPO_ROOT,
            env={**os.environ, "REGISTRY_URL": stack.registry_url},
            check=True,
            capture_output=True,
        )
        create_topic(stack, stack.settings.events_topic, partitions=3)
        console = ConsoleApp(stack.settings)
        start_service(console, echo=print)
        try:
            return _measure(stack.registry_url, console.url)
        finally:
            console.process.stop(timeout=20.0)


def _measure(registry_url: str, console_url: str) -> list[Measure]:
    session = requests.Session()
    baseline = _p95(
        lambda: session.get(f"{registry_url}/subjects/{SUBJECT}/versions/latest", timeout=10)
    )
    pages: dict[str, Callable[[], requests.Response]] = {
        "subjects": lambda: session.get(f"{console_url}/schemas", timeout=10),
        "a subject": lambda: session.get(
            f"{console_url}/schemas/subject", params={"name": SUBJECT}, timeout=10
        ),
        "two versions compared": lambda: session.get(
            f"{console_url}/schemas/diff",
            params={"name": SUBJECT, "from": "1", "to": "2"},
            timeout=10,
        ),
        "flow": lambda: session.get(f"{console_url}/flow", timeout=10),
        "dead letters": lambda: session.get(f"{console_url}/dead-letters", timeout=10),
        "a candidate checked": lambda: session.post(
            f"{console_url}/schemas/check",
            data={"name": SUBJECT, "schema": incompatible_candidate()},
            timeout=10,
        ),
    }
    measures = []
    for page, ask in pages.items():
        p95 = _p95(ask)
        print(f"console page {page}: p95 {p95:.1f} ms (registry request p95 {baseline:.1f} ms)")
        measures.append(
            Measure(
                f"console page: {page}, p95",
                "ms",
                p95,
                baseline,
                "one GET /subjects/{s}/versions/latest of the registry, p95 ms",
                # A page asks the registry a few things, some side by side.
                20.0,
                direction="max",
                absolute_max=PAGE_MS,
            )
        )
    return measures


def _p95(ask: Callable[[], requests.Response]) -> float:
    for _ in range(WARMUP):
        ask().raise_for_status()
    latencies = []
    for _ in range(REQUESTS):
        began = time.perf_counter()
        answer = ask()
        latencies.append(time.perf_counter() - began)
        answer.raise_for_status()
    return percentile_ms(latencies, 95)


def main() -> None:
    """`python -m bench.console_bench`: this section alone."""
    print_table(run())


if __name__ == "__main__":
    main()
