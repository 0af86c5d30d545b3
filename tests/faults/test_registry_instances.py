"""Registry instances side by side on one PostgreSQL, one of them SIGKILLed at random every
second while clients given every instance's URL register schemas."""

from __future__ import annotations

import json
import random
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from stack.apps import RegistryApp
from tests.faults.support import Figures, figure
from tests.registry_instances import restart_once_its_port_frees, running_instances

pytestmark = pytest.mark.timeout(600)

INSTANCES = 3
CLIENTS = 20
SCHEMAS_EACH = 10


@pytest.fixture
def instances(postgres_admin_url: str, tmp_path: Path) -> Iterator[list[RegistryApp]]:
    with running_instances(postgres_admin_url, tmp_path, INSTANCES) as apps:
        yield apps


def version(client: int, number: int) -> str:
    """A schema no other client writes; each version reads the one before (BACKWARD)."""
    field = {"name": f"c{client}_v{number}", "type": "long", "default": 0}
    return json.dumps({"type": "record", "name": "Event", "fields": [field]})


class Outcomes:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids: dict[str, int] = {}
        self.server_errors: list[str] = []
        self.other_errors: list[str] = []


def _client_run(urls: list[str], client: int, outcomes: Outcomes) -> None:
    # Each client tries the instances from another one first, as a load balancer would.
    ordered = urls[client % len(urls) :] + urls[: client % len(urls)]
    registry = SchemaRegistryClient({"url": ",".join(ordered)})
    try:
        for number in range(SCHEMAS_EACH):
            text = version(client, number)
            try:
                schema_id = registry.register_schema(f"c{client}-value", Schema(text, "AVRO"))
            except SchemaRegistryError as error:
                with outcomes.lock:
                    bucket = (
                        outcomes.server_errors
                        if error.http_status_code >= 500
                        else outcomes.other_errors
                    )
                    bucket.append(f"{error.http_status_code} {error.error_message}")
                continue
            except Exception as error:  # every URL failed: counted, not raised
                with outcomes.lock:
                    outcomes.other_errors.append(repr(error))
                continue
            with outcomes.lock:
                outcomes.ids[text] = schema_id
    finally:
        registry.close()


def test_an_instance_killed_every_second_costs_no_client_a_5xx_nor_an_id(
    instances: list[RegistryApp], report: Figures
) -> None:
    urls = [app.url for app in instances]
    outcomes = Outcomes()
    clients = [
        threading.Thread(target=_client_run, args=(urls, client, outcomes))
        for client in range(CLIENTS)
    ]
    for thread in clients:
        thread.start()
    kills = 0
    chooser = random.Random(17)
    restarts: dict[str, threading.Thread] = {}
    while any(thread.is_alive() for thread in clients):
        # A serving instance dies every second and comes back in the background (a second
        # or two), so at times two are down together; one still coming back is spared.
        serving = [
            app for app in instances if app.url not in restarts or not restarts[app.url].is_alive()
        ]
        if len(serving) > 1:
            victim = chooser.choice(serving)
            victim.process.stop(timeout=0.1, stop_signal=signal.SIGKILL)
            kills += 1
            restarts[victim.url] = threading.Thread(
                target=restart_once_its_port_frees, args=(victim,)
            )
            restarts[victim.url].start()
        time.sleep(1.0)
    for thread in [*clients, *restarts.values()]:
        thread.join()

    ids = outcomes.ids
    # Each schema answers one id from every instance; no two schemas share one.
    answered = {app.url: SchemaRegistryClient({"url": app.url}) for app in instances}
    try:
        for text, schema_id in ids.items():
            for client in answered.values():
                assert (
                    client.lookup_schema(
                        f"c{_client_of(text)}-value", Schema(text, "AVRO")
                    ).schema_id
                    == schema_id
                )
    finally:
        for client in answered.values():
            client.close()
    report(
        figure(
            f"{INSTANCES} registry instances, one SIGKILLed every second",
            kills=kills,
            clients=CLIENTS,
            schemas=CLIENTS * SCHEMAS_EACH,
            registered=len(ids),
            distinct_ids=len(set(ids.values())),
            server_errors_seen=len(outcomes.server_errors),
            other_errors=len(outcomes.other_errors),
        )
    )
    assert outcomes.server_errors == []
    assert outcomes.other_errors == []
    assert len(ids) == CLIENTS * SCHEMAS_EACH
    assert len(set(ids.values())) == len(ids), "two schemas share an id"


def _client_of(text: str) -> int:
    name = json.loads(text)["fields"][0]["name"]
    return int(name[1:].split("_")[0])
