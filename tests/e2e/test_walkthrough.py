"""Against `make up`: the README's walkthrough, command by command, prints what it shows.

The schema edits go to a copy of schemas/ (SCHEMAS_DIR), never to the checkout. Afterwards
the test's version 3 is deleted from the registry and the stack restarted on schemas/, so
the next run meets the same registry.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from stack.apps import ConsumerApp
from stack.settings import StackSettings
from tests.e2e.walkthrough import README, REPO_ROOT, Kind, Step, mismatch, normalized, steps
from tests.lake import landed_values, settings_of
from tests.privacy import remember

pytestmark = pytest.mark.timeout(900)

SETTINGS = StackSettings()
API = f"http://127.0.0.1:{SETTINGS.api_port}"
REGISTRY = f"http://127.0.0.1:{SETTINGS.registry_port}"
SUBJECT = f"{SETTINGS.events_topic}-value"
EDITED_VERSION = 3
# Commands run as typed at a shell: not as sub-makes of `make test-e2e`, which announce
# their directory.
_MAKE_VARIABLES = {"MAKELEVEL", "MAKEFLAGS", "MFLAGS"}
LAKE_SECONDS = 120.0
TAIL_SECONDS = 30.0


class Walk:
    """Runs the steps; keeps what differs from the README: usernames and user ids."""

    def __init__(self, schemas: Path) -> None:
        self.schemas = schemas
        self.env = {**_shell_environment(), "SCHEMAS_DIR": str(schemas)}
        self.names: dict[str, str] = {}
        self.ids: dict[int, int] = {}
        self.outputs: list[tuple[str, str]] = []
        self.restarted = False

    @property
    def edited_file(self) -> Path:
        return self.schemas / SUBJECT / f"{EDITED_VERSION}.avsc"

    def field(self, step: Step) -> None:
        """Add the field to the schema file, or replace the field of the same name."""
        name = json.loads(step.text)["name"]
        lines = self.edited_file.read_text().splitlines(keepends=True)
        for index, line in enumerate(lines):
            if f'"name": "{name}"' in line:
                indent = line[: len(line) - len(line.lstrip())]
                comma = "," if line.rstrip().endswith(",") else ""
                lines[index] = f"{indent}{step.text}{comma}\n"
                break
        else:
            text = "".join(lines)
            end = text.rindex("\n  ]")
            lines = [text[:end], f",\n    {step.text}", text[end:]]
        self.edited_file.write_text("".join(lines))
        json.loads(self.edited_file.read_text())

    def command(self, step: Step) -> None:
        command = self._ours(step.text)
        if "data/lake" in command or command.startswith("make query"):
            self._wait_for_lake()
        if command.startswith("make tail-events"):
            output = self._tail(command, step.expected or "")
        else:
            output = self._run(command, step.expected or "")
        output = self._readme_names(output)
        self.outputs.append((step.text, output))
        if command.startswith("curl"):
            self._remember_id(step.expected or "", output)
        if "make up" in command:
            self.restarted = True
        if step.expected is not None:
            problem = mismatch(step.expected, output)
            assert problem is None, (
                f"{step.text}\n{problem}\n--- README\n{step.expected}\n--- printed\n{output}"
            )

    def _ours(self, command: str) -> str:
        """The README's command with our usernames, our ids and our copy of schemas/."""
        for name in re.findall(r'"username": "(\w+)"', command):
            ours = self.names.setdefault(name, remember(f"{name}-{uuid.uuid4().hex[:8]}"))
            command = command.replace(f'"username": "{name}"', f'"username": "{ours}"')
        command = command.replace(" schemas/", f" {self.schemas}/")

        def sql_ids(match: re.Match[str]) -> str:
            text = re.sub(r"\b\d+\b", lambda n: str(self.ids.get(int(n[0]), n[0])), match[0])
            return text

        return re.sub(r'SQL="[^"]*"', sql_ids, command)

    def _readme_names(self, output: str) -> str:
        for readme_name, ours in self.names.items():
            output = output.replace(ours, readme_name)
        return output

    def _remember_id(self, expected: str, output: str) -> None:
        shown = json.loads(expected)
        created = json.loads(output)
        self.ids[shown["id"]] = created["id"]

    def _run(self, command: str, expected: str) -> str:
        result = subprocess.run(
            ["/bin/bash", "-c", command],
            cwd=REPO_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        # make's own error line goes to stderr; it counts where the README shows one.
        failed = [line for line in result.stderr.splitlines() if line.startswith("make: ***")]
        if "make: ***" in expected:
            assert result.returncode != 0, f"{command} should have failed"
            return result.stdout + "\n".join(failed)
        assert result.returncode == 0, f"{command} failed:\n{result.stdout}{result.stderr}"
        return result.stdout

    def _tail(self, command: str, expected: str) -> str:
        """Follow until the newest user's event is the last of the lines shown, then Ctrl-C."""
        count = len(normalized(expected))
        newest = max(self.ids.values())
        process = subprocess.Popen(
            ["/bin/bash", "-c", command],
            cwd=REPO_ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert process.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + TAIL_SECONDS
        try:
            while time.monotonic() < deadline:
                line = process.stdout.readline()
                if not line:
                    break
                lines.append(line)
                if len(lines) >= count and json.loads(line).get("key") == str(newest):
                    break
        finally:
            # As Ctrl-C in a terminal: the signal goes to make and the tail alike.
            os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=20)
            process.stdout.close()
        return "".join(lines[-count:])

    def _wait_for_lake(self) -> None:
        """Until every user created so far is in the lake (60 s is the batch age limit)."""
        settings = settings_of(ConsumerApp(SETTINGS))
        wanted = set(self.ids.values())
        deadline = time.monotonic() + LAKE_SECONDS
        while time.monotonic() < deadline:
            if wanted <= set(landed_values(settings, "user_id")):
                return
            time.sleep(2)
        raise AssertionError(f"users {sorted(wanted)} not in the lake after {LAKE_SECONDS:.0f} s")


@pytest.fixture
def walk(tmp_path: Path) -> Iterator[Walk]:
    if (REPO_ROOT / "schemas" / SUBJECT / f"{EDITED_VERSION}.avsc").exists():
        pytest.skip(f"schemas/{SUBJECT} already has the version the walkthrough adds")
    if requests.get(f"{API}/readyz", timeout=5).status_code != 200:
        pytest.fail("the users API does not answer: run `make up` first")
    versions = requests.get(f"{REGISTRY}/subjects/{SUBJECT}/versions", timeout=10)
    if versions.ok and EDITED_VERSION in versions.json():
        pytest.skip(f"the registry already holds version {EDITED_VERSION} of {SUBJECT}")
    shutil.copytree(REPO_ROOT / "schemas", tmp_path / "schemas")
    walk = Walk(tmp_path / "schemas")
    try:
        yield walk
    finally:
        _restore(walk)


def _shell_environment() -> dict[str, str]:
    drop = {*_MAKE_VARIABLES, "SCHEMAS_DIR"}
    return {name: value for name, value in os.environ.items() if name not in drop}


def _restore(walk: Walk) -> None:
    """Delete the version 3 the test registered; restart the stack on schemas/."""
    versions = requests.get(f"{REGISTRY}/subjects/{SUBJECT}/versions", timeout=10)
    if versions.ok and EDITED_VERSION in versions.json():
        version_url = f"{REGISTRY}/subjects/{SUBJECT}/versions/{EDITED_VERSION}"
        for permanent in ("false", "true"):
            deleted = requests.delete(version_url, params={"permanent": permanent}, timeout=10)
            deleted.raise_for_status()
    if walk.restarted:
        subprocess.run(
            ["/bin/bash", "-c", "make down && make up"],
            cwd=REPO_ROOT,
            env=_shell_environment(),
            capture_output=True,
            check=True,
            timeout=300,
        )


def test_the_readme_walkthrough_prints_what_it_shows(walk: Walk) -> None:
    for step in steps(README.read_text()):
        if step.kind is Kind.FIELD:
            walk.field(step)
        else:
            walk.command(step)

    # Beyond the shape: the two events were written with two schema versions, and the
    # newer one carries the added field.
    tails = [output for command, output in walk.outputs if command.startswith("make tail-events")]
    events = [json.loads(line) for line in tails[-1].splitlines()]
    assert events[0]["schema_id"] != events[-1]["schema_id"]
    assert "referrer" in events[-1]["value"]
    assert "referrer" not in events[0]["value"]
    for name in walk.names.values():
        assert all(name not in output for output in tails)

    # The console shows the same platform, and none of the walkthrough's usernames.
    console = os.environ.get("CONSOLE_URL", f"http://127.0.0.1:{SETTINGS.console_port}")
    pages = [
        requests.get(f"{console}{path}", timeout=30)
        for path in ("/schemas", f"/schemas/subject?name={SUBJECT}", "/flow", "/dead-letters")
    ]
    pages += [
        requests.get(f"{console}/lake", timeout=30),
        requests.post(f"{console}/lake/query", data={"sql": "select * from events"}, timeout=30),
    ]
    assert [page.status_code for page in pages] == [200] * len(pages)
    assert "referrer" in pages[-1].text
    for name in walk.names.values():
        assert all(name not in page.text for page in pages)
