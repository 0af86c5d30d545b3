"""Registry writes: 32 clients registering new versions, against lookups of the same run.

On PostgreSQL and on SQLite: the write rate into one subject and into 32 subjects beside
the lookup rate, each write's p99 beside its p50, and the rate over versions 4,001-5,000
of one subject beside versions 1-1,000 (a registration must not slow as history grows).
Each version is genuinely new and BACKWARD compatible (the default level): the event
schema plus one optional field of its own, so every registration is checked and stored.
"""

from __future__ import annotations

import json
import statistics
import sys
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import requests

from bench.load import LoadResult, Request, percentile_ms, run_load
from bench.report import Measure, pair_ratios, print_table, rounded
from bench.services import bench_registry
from contract.subjects import user_events_folder

CONCURRENCY = 32
ROUNDS = 3
ROUND_SECONDS = 4.0
ROUND_WARMUP = 0.5
EARLY = (1, 1_000)
LATE = (4_001, 5_000)
CONTENT_TYPE = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
EVENT_SCHEMA: dict[str, Any] = json.loads(
    (user_events_folder(Path(__file__).parent.parent / "schemas") / "2.avsc").read_text()
)
Database = Literal["postgresql", "sqlite"]
LABELS: dict[Database, str] = {"postgresql": "PG", "sqlite": "SQLite"}


def run(databases: Sequence[Database] = ("postgresql", "sqlite")) -> list[Measure]:
    return [measure for database in databases for measure in _run_on(database)]


def versions(token: str) -> Callable[[int], bytes]:
    """Bodies of schemas no one registered before, each compatible with any other."""

    def body(sequence: int) -> bytes:
        extra = {"name": f"note_{token}_{sequence}", "type": ["null", "string"], "default": None}
        schema = {**EVENT_SCHEMA, "fields": [*EVENT_SCHEMA["fields"], extra]}
        return json.dumps({"schema": json.dumps(schema)}).encode()

    return body


def _writes(subject: str | None) -> Request:
    """New versions into ``subject``, or (None) into a subject of each client's own."""
    token = uuid.uuid4().hex[:8]
    if subject is not None:
        return Request("POST", f"/subjects/{subject}/versions", body_factory=versions(token))
    return Request(
        "POST",
        f"/subjects/many-{token}-<client>-value/versions",
        body_factory=versions(token),
        path_factory=lambda client: f"/subjects/many-{token}-{client}-value/versions",
    )


def _run_on(database: Database) -> list[Measure]:
    label = LABELS[database]
    with bench_registry(database) as url:
        lookup = _lookup_request(url)
        # Untimed first: worker imports, connection pools, the parse caches.
        run_load(url, lookup, seconds=1.0, concurrency=CONCURRENCY, warmup=0.5)
        run_load(url, _writes("warm-value"), seconds=1.0, concurrency=CONCURRENCY)
        lookups: list[float] = []
        one: list[LoadResult] = []
        many: list[LoadResult] = []
        # Alternate rounds, so each side sees the same machine; each round writes into
        # fresh subjects, so rounds compare alike (history is the growth run's concern).
        for _ in range(ROUNDS):
            lookups.append(_timed(url, lookup).rate)
            one.append(_timed(url, _writes(f"one-{uuid.uuid4().hex[:8]}-value")))
            many.append(_timed(url, _writes(None)))
        growth_subject = f"growth-{uuid.uuid4().hex[:8]}-value"
        growth = run_load(url, _writes(growth_subject), total=LATE[1], concurrency=CONCURRENCY)
    early, late = growth.rate_between(*EARLY), growth.rate_between(*LATE)
    print(
        f"registry on {label}: lookup req/s by round {rounded(lookups)}; writes req/s by "
        f"round, 1 subject {rounded([r.rate for r in one])}, "
        f"32 subjects {rounded([r.rate for r in many])}; growth: versions "
        f"{EARLY[0]}-{EARLY[1]} {early:.0f}/s, {LATE[0]}-{LATE[1]} {late:.0f}/s"
    )
    return [
        *_write_measures(f"1 subject, {label}", one, lookups),
        *_write_measures(f"32 subjects, {label}", many, lookups),
        Measure(
            f"registry writes v4001-5000 ({label})",
            "registrations/s",
            late,
            early,
            "versions 1-1000 of the same subject, registrations/s",
            0.8,
        ),
    ]


def _write_measures(label: str, rounds: list[LoadResult], lookups: list[float]) -> list[Measure]:
    latencies = [latency for r in rounds for latency in r.latencies]
    p50, p99 = percentile_ms(latencies, 50), percentile_ms(latencies, 99)
    print(f"  writes, {label}: p50 {p50:.0f} ms, p99 {p99:.0f} ms")
    rates = [r.rate for r in rounds]
    return [
        Measure(
            f"registry writes ({label})",
            "registrations/s",
            statistics.median(rates),
            statistics.median(lookups),
            "POST /subjects/{s} (lookup) of the same run, req/s",
            0.25,
            # Each round's writes beside the lookups just before them.
            paired_ratios=pair_ratios(rates, lookups),
        ),
        Measure(
            f"registry write p99 ({label})",
            "ms",
            p99,
            p50,
            "p50 of the same writes, ms",
            5.0,
            direction="max",
        ),
    ]


def _timed(url: str, request: Request) -> LoadResult:
    return run_load(
        url, request, seconds=ROUND_SECONDS, concurrency=CONCURRENCY, warmup=ROUND_WARMUP
    )


def _lookup_request(url: str) -> Request:
    body = versions("lookup")(0)
    answer = requests.post(
        f"{url}/subjects/lookup-value/versions", data=body, headers=CONTENT_TYPE, timeout=30
    )
    answer.raise_for_status()
    return Request("POST", "/subjects/lookup-value", body)


def main() -> None:
    """`python -m bench.registry_writes_bench [postgresql|sqlite]…`: this section alone."""
    chosen = [database for database in LABELS if database in sys.argv[1:]]
    print_table(run(chosen or tuple(LABELS)))


if __name__ == "__main__":
    main()
