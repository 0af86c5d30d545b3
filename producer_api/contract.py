"""The event contract: the Avro schema of `schemas/<topic>-value/<version>.avsc`.

The API validates every event against it before the transaction commits, so an event the
schema cannot encode never reaches the outbox; the relay serializes with the same text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fastavro
from fastavro.validation import ValidationError


class EventSchemaError(ValueError):
    """An event does not fit its schema; ``problems`` name the fields at fault."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class EventContract:
    subject: str
    version: int
    text: str
    parsed: Any = field(repr=False, compare=False)
    field_names: tuple[str, ...] = ()

    @classmethod
    def load(cls, schemas_dir: Path, topic: str, version: int | None = None) -> EventContract:
        """The given version of `schemas_dir/<topic>-value/`, or its newest file."""
        subject = f"{topic}-value"
        return cls.from_folder(schemas_dir / subject, subject=subject, version=version)

    @classmethod
    def from_folder(
        cls, folder: Path, *, subject: str, version: int | None = None
    ) -> EventContract:
        """A version file of ``folder`` (newest by default), registered under ``subject``."""
        versions = sorted(int(path.stem) for path in folder.glob("*.avsc") if path.stem.isdigit())
        if not versions:
            raise FileNotFoundError(f"no schema files in {folder}")
        chosen = versions[-1] if version is None else version
        if chosen not in versions:
            raise FileNotFoundError(f"{folder / f'{chosen}.avsc'} does not exist")
        text = (folder / f"{chosen}.avsc").read_text()
        document = json.loads(text)
        return cls(
            subject=subject,
            version=chosen,
            text=json.dumps(document),
            parsed=fastavro.parse_schema(document),
            field_names=tuple(item["name"] for item in document["fields"]),
        )

    def conform(self, event: dict[str, Any]) -> dict[str, Any]:
        """The event cut to this schema's fields and validated; EventSchemaError if it fails."""
        shaped = {name: event[name] for name in self.field_names if name in event}
        try:
            fastavro.validate(shaped, self.parsed, raise_errors=True)
        except ValidationError as error:
            raise EventSchemaError([str(problem) for problem in error.errors]) from error
        return shaped
