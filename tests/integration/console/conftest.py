"""Chromium for the console's browser tests, and a page that fails its test on any script
or console error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.console_pages import ErrorWatch, launch_chromium


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
