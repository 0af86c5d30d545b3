"""Two registry processes on one PostgreSQL database still hand out one id per schema."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

import pytest
import requests
from sqlalchemy.engine import make_url

from stack.apps import RegistryApp
from stack.ports import free_port
from stack.postgres import create_database, drop_database
from stack.runner import start_service
from stack.settings import StackSettings

CONTENT_TYPE = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
T = TypeVar("T")


@pytest.fixture(scope="module")
def registry_pair(
    postgres_admin_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    database = f"registry_pair_{uuid.uuid4().hex[:8]}"
    create_database(postgres_admin_url, database)
    url = make_url(postgres_admin_url).set(database=database).render_as_string(False)
    apps = []
    try:
        for name in ("first", "second"):
            settings = StackSettings(
                stack_dir=tmp_path_factory.mktemp(name),
                registry_port=free_port(),
                database_url=url,
            )
            app = RegistryApp(settings)
            start_service(app, echo=lambda _line: None)
            apps.append(app)
        yield apps[0].url, apps[1].url
    finally:
        for app in apps:
            app.process.stop(timeout=20.0)
        drop_database(postgres_admin_url, database)


def record(*fields: dict[str, Any]) -> str:
    return json.dumps({"type": "record", "name": "Event", "namespace": "c", "fields": list(fields)})


def register(base: str, subject: str, schema: str) -> requests.Response:
    return requests.post(
        f"{base}/subjects/{subject}/versions",
        data=json.dumps({"schema": schema}),
        headers=CONTENT_TYPE,
        timeout=30,
    )


def all_at_once(calls: Sequence[Callable[[], T]]) -> list[T]:
    """Run the calls on as many threads, released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_twenty_clients_one_new_schema_get_one_id_and_one_version(
    registry_pair: tuple[str, str],
) -> None:
    for round_number in range(3):
        subject = f"race-{round_number}-{uuid.uuid4().hex[:8]}-value"
        schema = record({"name": f"field_{uuid.uuid4().hex[:6]}", "type": "long"})
        calls = [partial(register, registry_pair[n % 2], subject, schema) for n in range(20)]
        responses = all_at_once(calls)
        assert [response.status_code for response in responses] == [200] * 20
        assert len({response.json()["id"] for response in responses}) == 1
        assert {response.json()["version"] for response in responses} == {1}
        versions = requests.get(f"{registry_pair[0]}/subjects/{subject}/versions", timeout=10)
        assert versions.json() == [1]


def test_same_schema_on_many_subjects_at_once_gets_one_id(
    registry_pair: tuple[str, str],
) -> None:
    schema = record({"name": f"shared_{uuid.uuid4().hex[:6]}", "type": "string"})
    subjects = [f"shared-{n}-{uuid.uuid4().hex[:6]}-value" for n in range(10)]
    calls = [
        partial(register, registry_pair[n % 2], subject, schema)
        for n, subject in enumerate(subjects)
    ]
    responses = all_at_once(calls)
    assert [response.status_code for response in responses] == [200] * 10
    assert len({response.json()["id"] for response in responses}) == 1


def test_two_schemas_at_once_get_consecutive_versions(registry_pair: tuple[str, str]) -> None:
    subject = f"pair-{uuid.uuid4().hex[:8]}-value"
    base_field = {"name": "user_id", "type": "long"}
    assert register(registry_pair[0], subject, record(base_field)).status_code == 200
    with_x = record(base_field, {"name": "x", "type": "string", "default": ""})
    with_y = record(base_field, {"name": "y", "type": "string", "default": ""})
    responses = all_at_once(
        [
            partial(register, registry_pair[0], subject, with_x),
            partial(register, registry_pair[1], subject, with_y),
        ]
    )
    assert [response.status_code for response in responses] == [200, 200]
    assert sorted(response.json()["version"] for response in responses) == [2, 3]


def test_the_check_sees_a_schema_registered_at_the_same_moment(
    registry_pair: tuple[str, str],
) -> None:
    # Each is compatible with v1 but not with the other: whichever lands second must be
    # checked against the first and refused.
    for _ in range(5):
        subject = f"conflict-{uuid.uuid4().hex[:8]}-value"
        base_field = {"name": "user_id", "type": "long"}
        assert register(registry_pair[0], subject, record(base_field)).status_code == 200
        as_string = record(base_field, {"name": "x", "type": "string", "default": ""})
        as_int = record(base_field, {"name": "x", "type": "int", "default": 0})
        responses = all_at_once(
            [
                partial(register, registry_pair[0], subject, as_string),
                partial(register, registry_pair[1], subject, as_int),
            ]
        )
        assert sorted(response.status_code for response in responses) == [200, 409]
        versions = requests.get(f"{registry_pair[1]}/subjects/{subject}/versions", timeout=10)
        assert versions.json() == [1, 2]


def test_a_delete_through_one_process_reaches_the_other(registry_pair: tuple[str, str]) -> None:
    first, second = registry_pair
    subject = f"seen-{uuid.uuid4().hex[:8]}-value"
    schema = record({"name": "id", "type": "long"})
    assert register(first, subject, schema).status_code == 200
    lookup_url = f"{second}/subjects/{subject}"
    body = json.dumps({"schema": schema})
    assert requests.post(lookup_url, data=body, headers=CONTENT_TYPE, timeout=10).ok
    assert requests.delete(f"{first}/subjects/{subject}", timeout=10).json() == [1]
    deadline = time.monotonic() + 2.0
    while True:
        answer = requests.post(lookup_url, data=body, headers=CONTENT_TYPE, timeout=10)
        if answer.status_code == 404 or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert answer.json()["error_code"] == 40401


def test_a_storm_of_registrations_over_few_subjects_keeps_each_subject_whole(
    registry_pair: tuple[str, str],
) -> None:
    # Groups of both processes lock the same subjects and store schemas that are new, or
    # new but sent twice at once, or shared between subjects.
    token = uuid.uuid4().hex[:6]
    subjects = [f"storm-{n}-{token}-value" for n in range(3)]
    base_field = {"name": "user_id", "type": "long"}

    def schema(n: int) -> str:
        return record(base_field, {"name": f"f{n}", "type": ["null", "string"], "default": None})

    # Each schema twice into one subject and once into the next.
    plan = [(subjects[(k + step // 2) % 3], schema(k)) for k in range(30) for step in range(3)]
    calls = [
        partial(register, registry_pair[n % 2], subject, text)
        for n, (subject, text) in enumerate(plan)
    ]
    responses = all_at_once(calls)
    assert [response.status_code for response in responses] == [200] * len(calls)
    ids: dict[str, int] = {}
    for (subject, text), response in zip(plan, responses, strict=True):
        assert ids.setdefault(text, response.json()["id"]) == response.json()["id"]
        stored = requests.get(
            f"{registry_pair[1]}/subjects/{subject}/versions/{response.json()['version']}",
            timeout=10,
        ).json()
        assert json.loads(stored["schema"]) == json.loads(text)
    assert len(set(ids.values())) == len(ids)
    for subject in subjects:
        sent = {text for planned, text in plan if planned == subject}
        versions = requests.get(f"{registry_pair[0]}/subjects/{subject}/versions", timeout=10)
        assert versions.json() == list(range(1, len(sent) + 1))
