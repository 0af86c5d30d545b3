"""`make screenshots`: the console's main pages, as PNG files under docs/screenshots/.

Run against a platform `make up` started (or any console, at CONSOLE_URL), whose registry
holds the platform's schemas. The pages are shot in Debian's Chromium (`make chromium`),
as the browser tests drive it.
"""

from __future__ import annotations

import os
import sys

from playwright.sync_api import Page, sync_playwright

from tests.console_pages import REPO_ROOT, incompatible_candidate, launch_chromium

OUTPUT = REPO_ROOT / "docs" / "screenshots"
SUBJECT = "user-events-value"


def main() -> None:
    console = os.environ.get("CONSOLE_URL", "http://127.0.0.1:8080").rstrip("/")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        _shoot(page, f"{console}/schemas", "schemas.png")
        _shoot(page, f"{console}/schemas/subject?name={SUBJECT}", "subject.png")
        _shoot(page, f"{console}/schemas/diff?name={SUBJECT}&from=1&to=2", "diff.png")
        page.goto(f"{console}/schemas/subject?name={SUBJECT}")
        page.get_by_label("Schema (Avro JSON)").fill(incompatible_candidate(indent=2))
        page.get_by_role("button", name="Check").click()
        _save(page, "check.png")
        _shoot(page, f"{console}/flow", "flow.png")
        _shoot(page, f"{console}/dead-letters", "dead-letters.png")
        _shoot(page, f"{console}/lake", "lake.png")
        page.get_by_role("button", name="Run").click()
        _save(page, "lake-query.png")
        browser.close()


def _shoot(page: Page, url: str, name: str) -> None:
    answer = page.goto(url)
    if answer is None or answer.status != 200:
        sys.exit(f"{url} answered {answer.status if answer else 'nothing'}: is the console up?")
    _save(page, name)


def _save(page: Page, name: str) -> None:
    page.screenshot(path=OUTPUT / name, full_page=True)
    print(f"screenshot: {(OUTPUT / name).relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
