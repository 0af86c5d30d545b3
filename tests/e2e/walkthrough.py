"""The README's walkthrough as data: its commands, the outputs it shows, and how to compare.

The walkthrough is the README section whose heading starts with ``## Walkthrough``. Each
``sh`` block is one command (lines joined at a trailing backslash), and the ``text`` block
right after it is what the command printed; a ``json`` block is a field of the schema file
the walkthrough edits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
README = REPO_ROOT / "README.md"
HEADING = "## Walkthrough"

_FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_NUMBER = re.compile(r"\d+")
# Table rules and padding are as wide as the values in them.
_RUNS = (re.compile(r"─+"), re.compile(r"-{2,}"), re.compile(r"\s+"))
# Tables and file listings grow with every run against the same stack: extra rows may follow.
EXTRA_ROW_PREFIXES = ("│", "data/lake/")


class Kind(Enum):
    COMMAND = "sh"
    FIELD = "json"


@dataclass(frozen=True)
class Step:
    kind: Kind
    text: str
    expected: str | None = None


def section(readme: str) -> str:
    """The walkthrough section: from its heading to the next second-level heading."""
    start = readme.index(f"\n{HEADING}") + 1
    end = readme.find("\n## ", start + len(HEADING))
    return readme[start:] if end < 0 else readme[start:end]


def steps(readme: str) -> list[Step]:
    """The walkthrough's commands with the output shown after each, and its schema edits."""
    found: list[Step] = []
    for match in _FENCE.finditer(section(readme)):
        language, body = match.group(1), match.group(2).rstrip("\n")
        if language == "text":
            if not found or found[-1].kind is not Kind.COMMAND or found[-1].expected is not None:
                raise ValueError(f"an output block follows no command:\n{body}")
            found[-1] = Step(Kind.COMMAND, found[-1].text, body)
        else:
            text = body.replace("\\\n", " ") if language == "sh" else body
            found.append(Step(Kind(language), re.sub(r" {2,}", " ", text)))
    return found


def normalized(output: str) -> list[str]:
    """Output lines without what changes from run to run: ids, times, pids, widths."""
    lines = []
    for line in output.splitlines():
        line = _NUMBER.sub("0", _UUID.sub("<uuid>", line))
        for run in _RUNS:
            line = run.sub(lambda found: found.group(0)[0], line)
        if line.strip():
            lines.append(line.strip())
    return lines


def mismatch(expected: str, actual: str) -> str | None:
    """Why ``actual`` is not the output the README shows, or None when it is.

    Every line shown must come, in order; an extra line may come only as one more table row
    or file name.
    """
    wanted = normalized(expected)
    position = 0
    for line in normalized(actual):
        if position < len(wanted) and line == wanted[position]:
            position += 1
        elif not line.startswith(EXTRA_ROW_PREFIXES):
            return f"unexpected line: {line!r}"
    if position < len(wanted):
        return f"missing line: {wanted[position]!r}"
    return None
