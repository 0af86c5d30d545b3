"""The console in a real browser: Debian's Chromium (`make chromium`) driven by Playwright,
against the console's own process and a registry over HTTP. Any error in a page's console,
or any script error, fails the test."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import Browser

from consumer.sink.files import write_file_atomically
from consumer.sink.parquet import ParquetFormat
from stack.apps import ConsoleApp
from stack.ports import free_port
from stack.runner import start_service
from stack.settings import StackSettings
from tests.conftest import ProcessDirs
from tests.console_pages import (
    EVENT_SCHEMAS,
    ErrorWatch,
    incompatible_candidate,
    register,
)
from tests.unit.consumer.samples import READER_SCHEMA, file_meta, user_event


def _console_settings(
    registry_url: str, kafka_bootstrap: str, process_dirs: ProcessDirs, name: str
) -> StackSettings:
    """A console's stack settings on the registry and the broker under test, its lake two
    events in one Parquet file."""
    registry_port = urlsplit(registry_url).port
    kafka_port = urlsplit(f"//{kafka_bootstrap}").port
    assert registry_port is not None
    assert kafka_port is not None
    lake = process_dirs.make(f"{name}-lake")
    write_file_atomically(lake, file_meta(0, 1), ParquetFormat(READER_SCHEMA), [user_event(0)] * 2)
    return StackSettings(
        stack_dir=process_dirs.make(name),
        console_port=free_port(),
        registry_port=registry_port,
        kafka_port=kafka_port,
        consumer_output=str(lake),
        consumer_format="parquet",
    )


@pytest.fixture(scope="module")
def console_url(
    registry_url: str, kafka_bootstrap: str, process_dirs: ProcessDirs
) -> Iterator[str]:
    """The console as `make up` runs it, on the registry and the broker under test (the
    other services' ports follow the broker's and answer nothing)."""
    settings = _console_settings(registry_url, kafka_bootstrap, process_dirs, "console")
    app = ConsoleApp(settings)
    start_service(app, echo=lambda _line: None)
    try:
        yield app.url
    finally:
        app.process.stop(timeout=20.0)


def test_every_schema_page_opens_and_an_incompatible_candidate_shows_its_path(
    registry_url: str, console_url: str, subject: str, watched: ErrorWatch
) -> None:
    for name in ("1.avsc", "2.avsc"):
        register(registry_url, subject, (EVENT_SCHEMAS / name).read_text())
    page = watched.page

    page.goto(console_url)
    assert page.title().startswith("Schemas")
    page.get_by_role("link", name=subject).click()
    assert page.get_by_role("heading", level=1).inner_text() == subject

    page.get_by_role("button", name="Compare").click()
    changes = page.get_by_role("table", name="Changes, by field path")
    assert "signup_channel" in changes.inner_text()
    assert "added" in changes.inner_text()

    page.get_by_role("link", name=f"Back to {subject}").click()
    page.get_by_label("Schema (Avro JSON)").fill(incompatible_candidate())
    page.get_by_role("button", name="Check").click()
    verdict = page.get_by_role("status")
    assert "Incompatible under BACKWARD" in verdict.inner_text()
    assert "/fields/7" in verdict.inner_text()
    # Read-only: the form offers no way to register.
    assert page.get_by_role("button", name="Register").count() == 0


def test_a_missing_page_is_an_error_page_not_a_script_error(
    console_url: str, watched: ErrorWatch
) -> None:
    answer = watched.page.goto(f"{console_url}/schemas/diff?name=nothing-here&from=1&to=2")
    assert answer is not None
    assert answer.status == 404
    assert watched.page.get_by_role("alert").count() == 1
    # The browser logs a failed load of the page itself as a console error; that one is
    # the status under test, not a fault of the page.
    watched.errors = [error for error in watched.errors if "404" not in error]


def test_the_schema_pages_work_with_javascript_off(
    browser: Browser, registry_url: str, console_url: str, subject: str
) -> None:
    for name in ("1.avsc", "2.avsc"):
        register(registry_url, subject, (EVENT_SCHEMAS / name).read_text())
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{console_url}/schemas")
        page.get_by_role("link", name=subject).click()
        page.get_by_role("button", name="Compare").click()
        assert "signup_channel" in page.get_by_role("table").first.inner_text()
    finally:
        context.close()


def test_the_flow_page_refreshes_its_figures_in_place(
    console_url: str, watched: ErrorWatch
) -> None:
    page = watched.page
    page.goto(f"{console_url}/flow")
    assert page.get_by_role("heading", level=1).inner_text() == "Flow"
    assert page.get_by_role("region", name="Relay").count() == 1
    # htmx, served by the console itself, asks for the figures again and swaps them in.
    with page.expect_response(lambda answer: "/flow/figures" in answer.url, timeout=10_000):
        pass
    assert page.locator("#figures").count() == 1
    assert "does not answer" in page.locator("#figures").inner_text()
    # The charts drawn (uPlot, served by the console), once each, whatever the swaps.
    with page.expect_response(lambda answer: "/flow/figures" in answer.url, timeout=10_000):
        pass
    for chart in ("rates-chart", "backlog-chart", "commits-chart"):
        assert page.locator(f"#{chart} canvas").count() == 1
    page.get_by_text("The last samples, as the charts plot them").click()
    samples = page.get_by_role("table", name=re.compile("Newest first"))
    assert samples.locator("tbody tr").count() >= 2


def test_the_dead_letters_page_opens_from_the_navigation(
    console_url: str, watched: ErrorWatch
) -> None:
    page = watched.page
    page.goto(f"{console_url}/schemas")
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Dead letters").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Dead letters"
    assert page.get_by_role("link", name="Dead letters").get_attribute("aria-current") == "page"


def test_every_section_opens_from_the_navigation_with_javascript_on_and_off(
    browser: Browser, console_url: str, watched: ErrorWatch
) -> None:
    sections = ["Schemas", "Flow", "Dead letters", "Lake"]
    off = browser.new_context(java_script_enabled=False)
    try:
        for page in (watched.page, off.new_page()):
            page.goto(f"{console_url}/schemas")
            navigation = page.get_by_role("navigation", name="Sections")
            assert navigation.get_by_role("link").all_inner_texts() == sections
            for label in sections:
                page.get_by_role("navigation", name="Sections").get_by_role(
                    "link", name=label
                ).click()
                assert page.get_by_role("heading", level=1).inner_text() == label
            # The lake's SQL box is a plain form: it runs without JavaScript too.
            page.get_by_label("SQL").fill("select count(*) as landed from events")
            page.get_by_role("button", name="Run").click()
            result = page.get_by_role("table", name=re.compile("rows in"))
            assert result.locator("tbody").inner_text().strip() == "2"
    finally:
        off.close()


class WritableConsole(ConsoleApp):
    """The console started with write access, as a team's schema owners would run it."""

    def environment(self) -> dict[str, str]:
        return {**super().environment(), "CONSOLE_WRITE_ACCESS": "true"}


def test_with_write_access_an_incompatible_registration_from_the_form_shows_its_path(
    registry_url: str,
    kafka_bootstrap: str,
    process_dirs: ProcessDirs,
    subject: str,
    watched: ErrorWatch,
) -> None:
    for name in ("1.avsc", "2.avsc"):
        register(registry_url, subject, (EVENT_SCHEMAS / name).read_text())
    settings = _console_settings(registry_url, kafka_bootstrap, process_dirs, "console-writable")
    console = WritableConsole(settings)
    start_service(console, echo=lambda _line: None)
    try:
        page = watched.page
        page.goto(f"{console.url}/schemas/subject?name={subject}")
        assert page.locator(".access").inner_text() == "write access on"
        page.get_by_label("Schema (Avro JSON)").fill(incompatible_candidate())
        page.get_by_role("button", name="Register").click()
        verdict = page.get_by_role("status")
        assert "The registry refused it (error 409)" in verdict.inner_text()
        assert "/fields/7" in verdict.inner_text()
        # The browser logs the refusal's 409 as a failed load: the status under test.
        watched.errors = [error for error in watched.errors if "status of 409" not in error]
        versions = requests.get(f"{registry_url}/subjects/{subject}/versions", timeout=10)
        assert versions.json() == [1, 2]
    finally:
        console.process.stop(timeout=20.0)
