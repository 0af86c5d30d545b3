"""The API answers in UTC whatever the time zone its database sessions start in."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import requests

from tests.integration.producer_api.conftest import RunningApi, running_api
from tests.privacy import remember

# West of UTC, year 1 at midnight UTC is in year 0, east of it 9999-12-31 late is in 10000:
# both outside Python's datetime range when PostgreSQL hands them back in the session's zone.
EXTREMES = [
    ("0001-01-01 00:00:00", "0001-01-01T00:00:00Z"),
    ("0001-01-01T05:00:00+02:00", "0001-01-01T03:00:00Z"),
    ("9999-12-31 23:59:59", "9999-12-31T23:59:59Z"),
]


@pytest.fixture(scope="module", params=["America/New_York", "Asia/Tokyo"])
def zoned_api(
    request: pytest.FixtureRequest, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApi]:
    # PGTZ sets the time zone libpq asks for at connect, as a server default would.
    with running_api(tmp_path_factory, database_url, PGTZ=request.param) as running:
        yield running


@pytest.mark.parametrize(("sent", "shown"), EXTREMES)
def test_the_first_and_last_moments_are_created_and_read_back(
    zoned_api: RunningApi, sent: str, shown: str
) -> None:
    body = {
        "username": remember(f"edge-{uuid.uuid4().hex[:12]}"),
        "country_code": "BE",
        "created_at": sent,
    }
    created = requests.post(zoned_api.url + "/users", json=body, timeout=10)
    assert created.status_code == 201, created.text
    assert created.json()["created_at"] == shown
    read = requests.get(zoned_api.url + created.headers["Location"], timeout=10)
    assert read.status_code == 200, read.text
    assert read.json()["created_at"] == shown
