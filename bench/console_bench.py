"""The console's pages: each answers within 300 ms on the walkthrough's data.

A stack of its own (Kafka, PostgreSQL, the registry holding the platform's schemas as
`make up` registers them, the events topic, the Iceberg table holding the walkthrough's
events in three commits) and the console as `make up` runs it; the other services are not
started, so the flow page finds their /metrics silent. Each page is asked
40 times in a row after a warm-up, one request at a time; its p95 is set beside the p95 of
one request to the registry the pages are built from (`GET /subjects/{s}/versions/latest`),
timed the same way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from unittest import mock

import requests

from bench.load import percentile_ms
from bench.report import Measure, print_table
from bench.services import REPO_ROOT, bench_stack, create_topic
from consumer.lake import open_lake
from consumer.query import DEFAULT_SQL
from consumer.settings import ConsumerSettings
from consumer.sink import ClosedBatch, RotationReason
from stack.apps import ConsoleApp, lake_environment
from stack.runner import start_service
from stack.settings import StackSettings
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
        _land_walkthrough_events(stack.settings)
        console = ConsoleApp(stack.settings)
        start_service(console, echo=print)
        try:
            return _measure(stack.registry_url, console.url)
        finally:
            console.process.stop(timeout=20.0)


def _land_walkthrough_events(settings: StackSettings) -> None:
    """The walkthrough's users' events, committed to the stack's table as the writer would:
    one commit per user, each from its own partition."""
    with mock.patch.dict(os.environ, lake_environment(settings)):
        lake_settings = ConsumerSettings()
    reader_schema = json.loads(lake_settings.reader_schema_path().read_text())
    lake = open_lake(lake_settings, reader_schema)
    now = datetime.now(UTC)
    millis = int(now.timestamp() * 1000)
    try:
        for user_id, country in enumerate(("FR", "BE", "NL"), start=1):
            row = (str(uuid.uuid4()), millis, user_id, country, millis, user_id == 2, "api")
            lake.write(
                ClosedBatch(
                    partition=user_id % 3,
                    event_date=now.date(),
                    first_offset=0,
                    last_offset=0,
                    records=[row],
                    writer_schemas=frozenset({1}),
                    reason=RotationReason.AGE,
                )
            )
    finally:
        lake.close()


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
        "lake": lambda: session.get(f"{console_url}/lake", timeout=10),
        "the lake queried": lambda: session.post(
            f"{console_url}/lake/query", data={"sql": DEFAULT_SQL}, timeout=10
        ),
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
