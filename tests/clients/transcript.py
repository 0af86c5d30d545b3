"""A client program's printed steps, and what each step must have shown.

Every program under tests/clients prints one line per step, `step: ok key=value …` (a
`message=` last, running to the end of the line) or `step: FAILED why`, and exits 1 when any
step failed. The checks below hold for every client; a client whose API cannot show a value
(no version in a register answer, no error code on a refusal) names it in `ClientSpec.omits`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# Every step any client runs, in the order they run; a client runs those its API offers.
ALL_STEPS = (
    "register-address",
    "register-user",
    "guid",
    "lookup",
    "lookup-address",
    "get-by-id",
    "get-by-guid",
    "register-v2",
    "latest-version",
    "register-incompatible",
    "compatibility-check",
    "set-compatibility",
    "get-compatibility",
    "set-mode",
    "get-mode",
    "register-in-read-only",
    "set-mode-back",
    "serialize",
    "deserialize",
    "soft-delete-version",
    "versions-after-soft-delete",
    "soft-delete-subject",
    "hard-delete-subject",
    "versions-after-hard-delete",
)


def steps_except(*skipped: str) -> tuple[str, ...]:
    """Every step but those a client's API does not offer, in running order."""
    unknown = set(skipped) - set(ALL_STEPS)
    assert not unknown, f"no such steps: {unknown}"
    return tuple(step for step in ALL_STEPS if step not in skipped)


_LINE = re.compile(r"^(?P<step>[a-z0-9-]+): (?P<result>.*)$")
_PAIR = re.compile(r"(?P<key>[a-z_]+)=(?P<value>\S*)")


@dataclass(frozen=True)
class StepResult:
    ok: bool
    fields: dict[str, str]
    failure: str = ""


@dataclass
class Transcript:
    """A run's printed lines, parsed."""

    lines: list[str]
    steps: dict[str, StepResult] = field(default_factory=dict)
    # Steps in the order printed, repeats included, to show a program that printed one twice.
    order: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, stdout: str) -> Transcript:
        transcript = cls(lines=stdout.splitlines())
        for line in transcript.lines:
            match = _LINE.match(line)
            if match is None:
                continue
            step, result = match["step"], match["result"]
            transcript.order.append(step)
            if result.startswith("FAILED"):
                transcript.steps[step] = StepResult(False, {}, result)
                continue
            head, _, message = result.partition(" message=")
            fields = {pair["key"]: pair["value"] for pair in _PAIR.finditer(head)}
            if message:
                fields["message"] = message
            transcript.steps[step] = StepResult(result.split(" ", 1)[0] == "ok", fields, result)
        return transcript

    @property
    def failed(self) -> list[str]:
        return [step for step, result in self.steps.items() if not result.ok]

    def value(self, step: str, key: str) -> str | None:
        result = self.steps.get(step)
        return result.fields.get(key) if result else None


@dataclass(frozen=True)
class Expect:
    """A check of one printed value, described for the assertion message."""

    description: str
    holds: Callable[[str], bool]


def equals(expected: str | None) -> Expect:
    return Expect(f"== {expected!r}", lambda value: expected is not None and value == expected)


def contains(part: str) -> Expect:
    return Expect(f"contains {part!r}", lambda value: part in value)


def schema_id(*, other_than: Sequence[str | None] = ()) -> Expect:
    taken = [known for known in other_than if known is not None]
    return Expect(
        f"a schema id other than {taken}",
        lambda value: value.isdigit() and int(value) > 0 and value not in taken,
    )


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


A_UUID = Expect("a UUID", _is_uuid)
NOT_EMPTY = Expect("not empty", bool)


def expectations(run: Transcript, prefix: str) -> dict[str, dict[str, Expect]]:
    """What each step must print, given the ids the run's earlier steps printed."""
    address = run.value("register-address", "id")
    user = run.value("register-user", "id")
    v2 = run.value("register-v2", "id")
    described = {
        "record": equals("test.events.UserCreated"),
        "references": equals(f"test.shared.Address={prefix}-address/1"),
    }
    return {
        "register-address": {"id": schema_id(), "version": equals("1")},
        "register-user": {"id": schema_id(other_than=[address]), "version": equals("1")},
        "guid": {"guid": A_UUID},
        "lookup": {"id": equals(user), "version": equals("1")},
        "lookup-address": {"id": equals(address)},
        "get-by-id": described,
        "get-by-guid": described,
        "register-v2": {"id": schema_id(other_than=[address, user]), "version": equals("2")},
        "latest-version": {"id": equals(v2), "version": equals("2")},
        # The registry's reasons reach the caller: the field the old schema lacks.
        "register-incompatible": {
            "status": equals("409"),
            "error_code": equals("409"),
            "message": contains("is_a_dog"),
        },
        # The subject's level, read by the client itself, is the BACKWARD its first register set.
        "compatibility-check": {"message": contains("FULL != BACKWARD")},
        "set-compatibility": {"level": equals("FULL")},
        "get-compatibility": {"level": equals("FULL")},
        "set-mode": {"mode": equals("READONLY")},
        "get-mode": {"mode": equals("READONLY")},
        "register-in-read-only": {
            "status": equals("422"),
            "error_code": equals("42205"),
            "message": NOT_EMPTY,
        },
        "set-mode-back": {"mode": equals("READWRITE")},
        # Magic byte, 4-byte id, then the record's 32 bytes of Avro.
        "serialize": {"bytes": equals("37"), "magic": equals("0"), "id": equals(v2)},
        "deserialize": {"equal": equals("true"), "user_id": equals("42")},
        "soft-delete-version": {"deleted": equals("2")},
        "versions-after-soft-delete": {"versions": equals("1")},
        "soft-delete-subject": {"deleted": equals("1")},
        "hard-delete-subject": {"deleted": equals("1,2")},
        "versions-after-hard-delete": {
            "status": equals("404"),
            "error_code": equals("40401"),
            "message": NOT_EMPTY,
        },
    }


@dataclass(frozen=True)
class ClientSpec:
    """One client program: how to start it, which steps its API offers, which values its API
    does not show."""

    name: str
    steps: tuple[str, ...]
    omits: dict[str, frozenset[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.steps) - set(ALL_STEPS)
        assert not unknown, f"steps no check covers: {unknown}"


def check_step(run: Transcript, step: str, spec: ClientSpec, prefix: str) -> None:
    """The step ran, succeeded and printed exactly the values expected of this client."""
    assert step in run.steps, f"{spec.name} printed no line for step {step!r}"
    result = run.steps[step]
    assert result.ok, f"{spec.name} {step}: {result.failure}"
    expected = {
        key: check
        for key, check in expectations(run, prefix)[step].items()
        if key not in spec.omits.get(step, frozenset())
    }
    assert sorted(result.fields) == sorted(expected), (
        f"{spec.name} {step} printed {sorted(result.fields)}, expected {sorted(expected)}"
    )
    wrong = [
        f"{key}={result.fields[key]!r} (expected {check.description})"
        for key, check in expected.items()
        if not check.holds(result.fields[key])
    ]
    assert not wrong, f"{spec.name} {step}: " + "; ".join(wrong)
