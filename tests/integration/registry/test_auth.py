"""HTTP basic auth: 401 without credentials, reads for readers, writes for writers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
import requests
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from werkzeug.security import generate_password_hash

from stack.apps import RegistryApp
from stack.ports import free_port
from stack.runner import start_service
from stack.settings import StackSettings

SCHEMA = Schema(json.dumps({"type": "record", "name": "A", "fields": []}), "AVRO")


class AuthenticatedRegistry(RegistryApp):
    def __init__(self, settings: StackSettings, users_file: Path) -> None:
        super().__init__(settings)
        self.users_file = users_file

    def environment(self) -> dict[str, str]:
        return {**super().environment(), "REGISTRY_AUTH_FILE": str(self.users_file)}

    def is_ready(self) -> bool:
        try:
            return requests.get(self.url + "/", timeout=1).status_code == 401
        except requests.RequestException:
            return False


@pytest.fixture(scope="module")
def secured_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state = tmp_path_factory.mktemp("secured")
    users = state / "users"
    users.write_text(
        "# name:role:hash\n"
        f"writer:read-write:{generate_password_hash('writer-secret')}\n"
        f"reader:read-only:{generate_password_hash('reader-secret')}\n"
    )
    settings = StackSettings(
        stack_dir=state,
        registry_port=free_port(),
        database_url=f"sqlite:///{state / 'registry.db'}",
    )
    app = AuthenticatedRegistry(settings, users)
    start_service(app, echo=lambda _line: None)
    try:
        yield app.url
    finally:
        app.process.stop(timeout=20.0)


def client(url: str, user_info: str | None) -> SchemaRegistryClient:
    config = {"url": url}
    if user_info is not None:
        config["basic.auth.user.info"] = user_info
    return SchemaRegistryClient(config)


def test_no_credentials_is_401_with_a_challenge(secured_url: str) -> None:
    response = requests.get(f"{secured_url}/subjects", timeout=10)
    assert response.status_code == 401
    assert response.json()["error_code"] == 40101
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    with (
        closing(client(secured_url, "writer:wrong")) as wrong,
        pytest.raises(SchemaRegistryError) as caught,
    ):
        wrong.get_subjects()
    assert caught.value.http_status_code == 401


def test_writer_writes_and_reader_only_reads(secured_url: str) -> None:
    with (
        closing(client(secured_url, "writer:writer-secret")) as writer,
        closing(client(secured_url, "reader:reader-secret")) as reader,
    ):
        schema_id = writer.register_schema("auth-value", SCHEMA)
        assert reader.get_schema(schema_id).schema_str is not None
        assert "auth-value" in reader.get_subjects()
        assert reader.lookup_schema("auth-value", SCHEMA).schema_id == schema_id
        assert reader.test_compatibility("auth-value", SCHEMA) is True
        with pytest.raises(SchemaRegistryError) as caught:
            reader.register_schema("auth-other-value", SCHEMA)
    assert (caught.value.http_status_code, caught.value.error_code) == (403, 40301)
