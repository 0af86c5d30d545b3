"""Fixtures of the lake writer's integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import start_sqlite_registry


@pytest.fixture(scope="module")
def lake_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = start_sqlite_registry(tmp_path_factory.mktemp("lake-registry"))
    yield app.url
    app.process.stop(timeout=20.0)
