"""`make screenshots`: the console's main pages, as PNG files under docs/screenshots/.

Run against a platform `make up` started (or any console, at CONSOLE_URL), whose registry
holds the platform's schemas. The pages are shot in Debian's Chromium (`make chromium`),
as the browser tests drive it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from stack.debian import CHROMIUM, tool_command
from stack.settings import StackSettings

REPO_ROOT = Path(__file__).resolve().parents[2]
OUTPUT = REPO_ROOT / "docs" / "screenshots"
SUBJECT = "user-events-value"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def main() -> None:
    console = os.environ.get("CONSOLE_URL", "http://127.0.0.1:8080").rstrip("/")
    command, environment = tool_command(
        (REPO_ROOT / StackSettings().tools / CHROMIUM.name).resolve(), CHROMIUM
    )
    launch_environment: dict[str, str | float | bool] = {**environment}
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=command[0], env=launch_environment, args=ARGS
        )
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        _shoot(page, f"{console}/schemas", "schemas.png")
        _shoot(page, f"{console}/schemas/subject?name={SUBJECT}", "subject.png")
        _shoot(page, f"{console}/schemas/diff?name={SUBJECT}&from=1&to=2", "diff.png")
        page.goto(f"{console}/schemas/subject?name={SUBJECT}")
        page.get_by_label("Schema (Avro JSON)").fill(_incompatible())
        page.get_by_role("button", name="Check").click()
        _save(page, "check.png")
        _shoot(page, f"{console}/flow", "flow.png")
        _shoot(page, f"{console}/dead-letters", "dead-letters.png")
        browser.close()


def _incompatible() -> str:
    schema = json.loads((REPO_ROOT / "schemas" / SUBJECT / "2.avsc").read_text())
    schema["fields"].append({"name": "referrer", "type": "string"})
    return json.dumps(schema, indent=2)


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
