"""`make metrics` reads the outbox backlog off the real API's /metrics."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import requests

from stack.metrics import summary
from stack.ports import free_port
from stack.settings import StackSettings
from tests.integration.producer_api.conftest import RunningApi
from tests.privacy import remember


def test_the_api_line_counts_rows_no_relay_has_sent(api: RunningApi) -> None:
    port = urlsplit(api.url).port
    assert port is not None
    # No relay and no lake writer on these ports: their lines say so.
    settings = StackSettings(
        api_port=port, relay_metrics_port=free_port(), consumer_metrics_port=free_port()
    )
    before = summary(settings)
    assert before[0] == "api        outbox backlog 0 rows, oldest unsent 0.0 s, sent and kept 0"
    assert before[1].startswith("relay      not answering on http://127.0.0.1:")
    body = {
        "username": remember(f"metrics-{uuid.uuid4().hex[:12]}"),
        "country_code": "BE",
        "created_at": "2021-01-01 00:00:00",
    }
    assert requests.post(api.url + "/users", json=body, timeout=10).status_code == 201
    assert summary(settings)[0].startswith("api        outbox backlog 1 rows, oldest unsent ")
