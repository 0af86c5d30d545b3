"""A difference between two schemas as Confluent's JSON Schema and Protobuf checkers report
one: what changed (its type, e.g. `FIELD_ADDED`) and where (`#/Msg/2`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from contract.compatibility import Incompatibility


@dataclass(frozen=True)
class Difference:
    type: str
    path: str

    def __str__(self) -> str:
        return f"{self.type} {self.path}"


def incompatible(
    found: Iterable[Difference],
    compatible: frozenset[str],
    worded: Callable[[str, str, str, str, str], Incompatibility],
    direction: str,
) -> list[Incompatibility]:
    """The differences outside ``compatible``, each worded by its type's checker."""
    return [
        worded(difference.type, difference.path, "", "", direction)
        for difference in found
        if difference.type not in compatible
    ]
