"""Registry: schema by id and lookup against `GET /` of the same server, same run."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import requests

from bench.load import Request, requests_per_second
from bench.report import Measure
from stack.apps import RegistryApp
from stack.ports import free_port
from stack.postgres import PostgresService
from stack.runner import start_service
from stack.settings import StackSettings

SCHEMA = json.dumps(
    json.loads((Path(__file__).parent.parent / "schemas/user-events-value/2.avsc").read_text())
)
SUBJECT = "bench-value"
SECONDS = 5.0
CONCURRENCY = 8


def run() -> list[Measure]:
    with tempfile.TemporaryDirectory(prefix="bench-registry-") as state:
        settings = StackSettings(
            stack_dir=Path(state), postgres_port=free_port(), registry_port=free_port()
        )
        database = PostgresService(settings)
        registry = RegistryApp(settings)
        start_service(database, echo=print)
        try:
            start_service(registry, echo=print)
            try:
                return _measure(registry.url)
            finally:
                registry.process.stop(timeout=20.0)
        finally:
            database.process.stop(timeout=20.0, stop_signal=database.stop_signal)


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
    root = requests_per_second(url, Request("GET", "/"), seconds=SECONDS, concurrency=CONCURRENCY)
    by_id = requests_per_second(
        url, Request("GET", f"/schemas/ids/{schema_id}"), seconds=SECONDS, concurrency=CONCURRENCY
    )
    lookup = requests_per_second(
        url, Request("POST", f"/subjects/{SUBJECT}", body), seconds=SECONDS, concurrency=CONCURRENCY
    )
    return [
        Measure("registry GET /schemas/ids/{id}", "req/s", by_id, root, "GET / req/s", 0.5),
        Measure("registry POST /subjects/{s} (lookup)", "req/s", lookup, root, "GET / req/s", 0.5),
    ]
