"""The console in Chromium beside a running lake writer: lag rises while the writer is down
and falls on the flow page, without a reload, once it catches up; a record it cannot read
appears on the dead-letters page; the lake page counts and queries what it wrote. The events
carry a field their schema tags personal (`confluent:tags: ["PII"]`): no page shows its
values, and the SQL box cannot select it.

The writer, the console and the registry are processes of their own, as `make up` runs them;
the lake is an Iceberg table whose catalog is in a real PostgreSQL.
"""

from __future__ import annotations

import json
import re
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from playwright.sync_api import Page

from stack.apps import ConsoleApp, ConsumerApp
from stack.ports import free_port
from stack.runner import start_service
from stack.settings import StackSettings
from tests.conftest import REPO_ROOT, ProcessDirs, start_sqlite_registry
from tests.console_pages import ErrorWatch

pytestmark = pytest.mark.timeout(300)

PARTITIONS = 2
WAIT_SECONDS = 90.0
DAY_MS = 1_795_564_800_000  # 2026-11-25 00:00 UTC
EMAIL_DOMAIN = "personal.example"


def _tagged_schema() -> dict[str, Any]:
    """The event's newest version with an email the schema tags personal."""
    schema: dict[str, Any] = json.loads(
        (REPO_ROOT / "schemas" / "user-events-value" / "2.avsc").read_text()
    )
    schema["fields"].append(
        {
            "name": "email",
            "type": ["null", "string"],
            "default": None,
            "confluent:tags": ["PII"],
        }
    )
    return schema


class LiveLakeWriter(ConsumerApp):
    """The stack's lake writer, closing a table commit every second."""

    def environment(self) -> dict[str, str]:
        return {**super().environment(), "CONSUMER_MAX_AGE_SECONDS": "1"}


class Live:
    def __init__(self, settings: StackSettings, bootstrap: str, registry_url: str) -> None:
        self.settings = settings
        self.topic = settings.events_topic
        self.writer = LiveLakeWriter(settings)
        self.console = ConsoleApp(settings)
        self.producer = Producer({"bootstrap.servers": bootstrap})
        self.registry = SchemaRegistryClient({"url": registry_url})
        schema = _tagged_schema()
        self.registry.register_schema(f"{self.topic}-value", Schema(json.dumps(schema), "AVRO"))
        self._serialize = AvroSerializer(self.registry, json.dumps(schema))
        self.emails: list[str] = []

    def produce(self, count: int) -> None:
        for _ in range(count):
            number = len(self.emails)
            email = f"person-{uuid.uuid4().hex[:10]}@{EMAIL_DOMAIN}"
            self.emails.append(email)
            event = {
                "event_id": str(uuid.uuid4()),
                "event_time": DAY_MS + number,
                "user_id": number,
                "country_code": "BE",
                "created_at": DAY_MS,
                "is_a_dog": False,
                "signup_channel": "api",
                "email": email,
            }
            context = SerializationContext(self.topic, MessageField.VALUE)
            self.producer.produce(
                self.topic, key=str(number).encode(), value=self._serialize(event, context)
            )
        assert self.producer.flush(30) == 0

    def produce_unreadable(self) -> None:
        self.producer.produce(self.topic, key=b"bad", value=b"not an Avro record at all")
        assert self.producer.flush(30) == 0


@pytest.fixture(scope="module")
def live(
    process_dirs: ProcessDirs, kafka_bootstrap: str, database_url: str, tmp_path_factory: Any
) -> Iterator[Live]:
    registry = start_sqlite_registry(process_dirs.make("live-registry"))
    schemas = tmp_path_factory.mktemp("live-schemas")
    folder = schemas / "user-events-value"
    folder.mkdir()
    (folder / "1.avsc").write_text(json.dumps(_tagged_schema(), indent=2))
    topic = f"console-live-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS)])[topic].result(timeout=30)
    kafka_port = urlsplit(f"//{kafka_bootstrap}").port
    assert kafka_port is not None
    settings = StackSettings(
        stack_dir=process_dirs.make("console-live"),
        kafka_port=kafka_port,
        registry_port=urlsplit(registry.url).port or 80,
        database_url=database_url,
        schemas_dir=schemas,
        events_topic=topic,
        consumer_output=str(tmp_path_factory.mktemp("live-lake")),
        consumer_format="iceberg",
        consumer_metrics_port=free_port(),
        console_port=free_port(),
    )
    running = Live(settings, kafka_bootstrap, registry.url)
    start_service(running.console, echo=lambda _line: None)
    try:
        yield running
    finally:
        running.registry.close()
        running.writer.process.stop(timeout=20.0, stop_signal=signal.SIGKILL)
        running.console.process.stop(timeout=20.0)
        registry.process.stop(timeout=20.0)


def _total_lag(page: Page) -> int | None:
    text = page.locator('[data-figure="total-lag"]').inner_text().replace(",", "")
    return int(text) if text.isdigit() else None


def _until(check: Callable[[], bool], what: str, seconds: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"not seen within {seconds:g} s: {what}"
        time.sleep(0.5)


def _no_personal_value(live: Live, page: Page) -> None:
    shown = page.content()
    assert EMAIL_DOMAIN not in shown, page.url
    assert not any(email in shown for email in live.emails)


def test_lag_falls_a_dead_letter_appears_and_the_lake_is_queried_without_personal_data(
    live: Live, watched: ErrorWatch
) -> None:
    page = watched.page
    start_service(live.writer, echo=lambda _line: None)
    live.produce(20)
    page.goto(f"{live.console.url}/flow")
    _until(lambda: _total_lag(page) == 0, "the first 20 events committed")

    # The writer stops (committing what it wrote); events pile up and the page shows it.
    live.writer.process.stop(timeout=30.0)
    live.produce(200)
    _until(lambda: _total_lag(page) == 200, "a lag of 200 while the writer is down")
    page.evaluate("window.notReloaded = true")

    start_service(live.writer, echo=lambda _line: None)
    _until(lambda: _total_lag(page) == 0, "the lag falling to 0 once the writer catches up")
    assert page.evaluate("window.notReloaded") is True  # htmx swapped the figures in place
    _no_personal_value(live, page)

    live.produce_unreadable()
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Dead letters").click()

    def dead_letter_shown() -> bool:
        page.reload()
        return page.get_by_role("table").count() == 1

    _until(dead_letter_shown, "the unreadable record on the dead-letters page")
    row = page.get_by_role("table").locator("tbody tr").first.inner_text()
    assert live.topic in row
    assert re.search(r"\d+ @ \d+", row)
    _no_personal_value(live, page)

    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Lake").click()

    def all_rows_landed() -> bool:
        page.reload()
        return "220 rows in" in page.get_by_role("main").inner_text()

    _until(all_rows_landed, "220 rows in the table")
    snapshots = page.get_by_role("table", name="Newest snapshots").inner_text()
    assert "append" in snapshots and "partition" in snapshots

    sql = page.get_by_label("SQL")
    sql.fill("select count(*) as landed, count(distinct user_id) as users from events")
    page.get_by_role("button", name="Run").click()
    assert page.locator("tbody").last.inner_text().split() == ["220", "220"]

    sql = page.get_by_label("SQL")
    sql.fill("select * from events order by user_id")
    page.get_by_role("button", name="Run").click()
    result = page.get_by_role("table").last
    assert "country_code" in result.inner_text() and "email" not in result.inner_text()
    assert "email" in page.get_by_role("group").inner_text()  # named as left out
    _no_personal_value(live, page)

    sql = page.get_by_label("SQL")
    sql.fill("select email from events")
    page.get_by_role("button", name="Run").click()
    assert "email" in page.get_by_role("alert").inner_text()
    assert page.get_by_role("table", name=re.compile("rows in")).count() == 0
    # The browser logs the refusal's 400 as a failed load: the status under test.
    watched.errors = [error for error in watched.errors if "status of 400" not in error]

    for path in ("/schemas", f"/schemas/subject?name={live.topic}-value"):
        page.goto(live.console.url + path)
        _no_personal_value(live, page)
    console_log = Path(live.console.process.log_file).read_text(errors="replace")
    assert EMAIL_DOMAIN not in console_log
