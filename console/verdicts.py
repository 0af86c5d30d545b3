"""The registry's verbose compatibility messages, split for reading.

Confluent's verbose answer is a list of strings: one per incompatibility
(`{errorType:'…', description:'…', additionalInfo:'…'}`, the description naming the field's
path), then context (`{oldSchemaVersion: 2}`, `{oldSchema: '…'}`, `{validateFields: …}`).
Other texts (an invalid schema's message) are kept as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_INCOMPATIBILITY = re.compile(
    r"^\{errorType:'(?P<kind>[^']*)', description:'(?P<description>.*)', "
    r"additionalInfo:'(?P<info>.*)'\}$",
    re.DOTALL,
)
_OLD_VERSION = re.compile(r"^\{oldSchemaVersion: (?P<version>\d+)\}$")
_CONTEXT = ("{oldSchema:", "{validateFields:", "{compatibility:")


@dataclass(frozen=True)
class Incompatibility:
    kind: str
    description: str


@dataclass
class Verdict:
    incompatibilities: list[Incompatibility] = field(default_factory=list)
    # Messages that are neither an incompatibility nor context: shown as they came.
    other: list[str] = field(default_factory=list)
    context: list[str] = field(default_factory=list)
    against_version: int | None = None


def read_messages(messages: list[str]) -> Verdict:
    verdict = Verdict()
    for message in messages:
        incompatibility = _INCOMPATIBILITY.match(message)
        old_version = _OLD_VERSION.match(message)
        if incompatibility:
            verdict.incompatibilities.append(
                Incompatibility(incompatibility["kind"], incompatibility["description"])
            )
        elif old_version:
            verdict.against_version = int(old_version["version"])
            verdict.context.append(message)
        elif message.startswith(_CONTEXT):
            verdict.context.append(message)
        else:
            verdict.other.append(message)
    return verdict
