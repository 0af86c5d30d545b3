"""Prints one line per step of a client's run, `step: ok key=value …` or `step: FAILED why`.

The same format is printed by the JavaScript and Go programs beside this one and parsed by
tests/clients/transcript.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

Fields = dict[str, object]


class Steps:
    """Runs each step in a `with` block: a step that raises is printed as FAILED, and the run
    goes on, so one refusal does not hide what the next steps would have shown."""

    def __init__(self) -> None:
        self.failed = 0
        self.done: dict[str, Fields] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[Fields]:
        fields: Fields = {}
        try:
            yield fields
        except Exception as error:  # any failure is the step's result, not the run's end
            self.failed += 1
            print(f"{name}: FAILED {type(error).__name__}: {one_line(str(error))}", flush=True)
        else:
            self.done[name] = fields
            print(f"{name}: {render(fields)}", flush=True)

    def value(self, step: str, key: str) -> Any:
        """A result of an earlier step; a step that needs a failed one fails saying so."""
        if step not in self.done or key not in self.done[step]:
            raise RuntimeError(f"needs {key} from step {step}, which did not succeed")
        return self.done[step][key]


def render(fields: Fields) -> str:
    """`ok key=value …`, the message last because it may hold spaces and `=`."""
    parts = ["ok"]
    for key, value in fields.items():
        if key != "message":
            parts.append(f"{key}={value}")
    if "message" in fields:
        parts.append(f"message={one_line(str(fields['message']))}")
    return " ".join(parts)


def one_line(text: str) -> str:
    return " ".join(text.split())


def record_name(schema_text: str) -> str:
    document = json.loads(schema_text)
    return f"{document['namespace']}.{document['name']}"


def read_schema(schemas_dir: Path, name: str) -> str:
    return (schemas_dir / f"{name}.avsc").read_text()
