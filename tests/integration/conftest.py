"""Fixtures shared by the integration tests of several services."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    """One HTTP session per module: kept-alive connections, as a client would use."""
    with requests.Session() as session:
        yield session


@pytest.fixture
def schemathesis_node_id(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32 renames the test per operation through Node._nodeid, which pytest 9.2
    replaced; give it back the attribute so its reporting works."""
    node = vars(request.node)
    node.setdefault("_nodeid", request.node.nodeid)
