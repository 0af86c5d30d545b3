"""What the console's tests, `make screenshots` and its bench share: the platform's event
schemas registered over HTTP, a candidate its level refuses, Debian's Chromium
(`make chromium`) launched for Playwright, and a page that records its script errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import requests
from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, Playwright

from stack.debian import CHROMIUM, tool_command
from stack.settings import StackSettings

REPO_ROOT = Path(__file__).resolve().parent.parent
# The console tests' `make_console` fixture: ``create_app`` closed after the test.
ConsoleFactory = Callable[..., Flask]
EVENT_SCHEMAS = REPO_ROOT / "schemas" / "user-events-value"
CONTENT_TYPE = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
# As root, without a sandbox; and none of the background traffic this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def register(registry_url: str, subject: str, schema: str) -> int:
    """A new version of ``subject``; its schema id."""
    answer = requests.post(
        f"{registry_url}/subjects/{subject}/versions",
        data=json.dumps({"schema": schema}),
        headers=CONTENT_TYPE,
        timeout=10,
    )
    answer.raise_for_status()
    return int(answer.json()["id"])


def incompatible_candidate(*, indent: int | None = None) -> str:
    """Version 2 of the event plus a field without a default: BACKWARD refuses it, naming
    the new field's path (`/fields/7`)."""
    schema = json.loads((EVENT_SCHEMAS / "2.avsc").read_text())
    schema["fields"].append({"name": "referrer", "type": "string"})
    return json.dumps(schema, indent=indent)


def launch_chromium(playwright: Playwright) -> Browser:
    command, environment = tool_command(
        (REPO_ROOT / StackSettings().tools / CHROMIUM.name).resolve(), CHROMIUM
    )
    launch_environment: dict[str, str | float | bool] = {**environment}
    return playwright.chromium.launch(
        executable_path=command[0], env=launch_environment, args=CHROMIUM_ARGS
    )


class ErrorWatch:
    """A page that records what went wrong in it: console errors and uncaught ones."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", self._uncaught)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def _uncaught(self, error: Error) -> None:
        self.errors.append(f"uncaught: {error.message}")
