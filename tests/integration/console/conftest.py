"""Chromium for the console's browser tests, a page that fails its test on any script or
console error, and console applications closed after their test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, sync_playwright

from console.app import create_app
from console.settings import ConsoleSettings
from consumer.settings import LakeSettings
from tests.console_pages import ConsoleFactory, ErrorWatch, launch_chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        yield launched
        launched.close()


@pytest.fixture
def watched(browser: Browser) -> Iterator[ErrorWatch]:
    """A fresh page; its test fails if the page logged an error or threw."""
    context = browser.new_context()
    watch = ErrorWatch(context.new_page())
    yield watch
    context.close()
    assert watch.errors == []


@pytest.fixture
def make_console() -> Iterator[ConsoleFactory]:
    """``create_app``, whose Kafka clients, sampler and lake connections are closed after the
    test (not left to log a stopped broker at the session's end)."""
    made: list[Flask] = []

    def make(settings: ConsoleSettings, lake: LakeSettings | None = None) -> Flask:
        app = create_app(settings, lake)
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["console"].close()
