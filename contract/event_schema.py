"""One version of an event's Avro schema, read from its subject folder of `schemas/`.

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

from contract.schema_folder import read_subject


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
    def from_folder(
        cls, folder: Path, *, subject: str, version: int | None = None
    ) -> EventContract:
        """A version file of ``folder`` (newest by default), registered under ``subject``.

        Raises:
            SchemaFolderError: no such version file, or the folder breaks the layout.
        """
        chosen = read_subject(folder).version_file(version)
        document = json.loads(chosen.text)
        return cls(
            subject=subject,
            version=chosen.number,
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
