"""Registry: schema by id and lookup against `GET /` of the same server, same run."""

from __future__ import annotations

import json
from pathlib import Path

import requests

from bench.load import Request, requests_per_second
from bench.report import Measure
from bench.services import bench_stack
from contract.subjects import user_events_folder, value_subject

SCHEMA = json.dumps(
    json.loads(
        (user_events_folder(Path(__file__).parent.parent / "schemas") / "2.avsc").read_text()
    )
)
SUBJECT = value_subject("bench")
SECONDS = 5.0
CONCURRENCY = 8


def run() -> list[Measure]:
    with bench_stack(kafka=False) as stack:
        return _measure(stack.registry_url)


def _measure(url: str) -> list[Measure]:
    body = json.dumps({"schema": SCHEMA}).encode()
    answer = requests.post(
        f"{url}/subjects/{SUBJECT}/versions",
        data=body,
        headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
        timeout=30,
    )
    answer.raise_for_status()
    schema_id = answer.json()["id"]
    endpoints = {
        "root": Request("GET", "/"),
        "by_id": Request("GET", f"/schemas/ids/{schema_id}"),
        "lookup": Request("POST", f"/subjects/{SUBJECT}", body),
    }
    totals = dict.fromkeys(endpoints, 0.0)
    # Warm every endpoint, then alternate rounds so each side sees the same conditions.
    for request in endpoints.values():
        requests_per_second(url, request, seconds=1.0, concurrency=CONCURRENCY)
    for _ in range(2):
        for name, request in endpoints.items():
            totals[name] += requests_per_second(
                url, request, seconds=SECONDS / 2, concurrency=CONCURRENCY
            )
    root, by_id, lookup = (totals[name] / 2 for name in ("root", "by_id", "lookup"))
    return [
        Measure("registry GET /schemas/ids/{id}", "req/s", by_id, root, "GET / req/s", 0.5),
        Measure("registry POST /subjects/{s} (lookup)", "req/s", lookup, root, "GET / req/s", 0.5),
    ]
