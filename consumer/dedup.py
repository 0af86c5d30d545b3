"""Drop a second copy of an event: the last N event ids of each partition, seeded from files.

The relay sends at least once: a relay that dies after the broker stored a batch but before
it marked the rows sent sends them again, with the same event ids, to the same partition (the
key decides it), a few thousand offsets later at most. The lake writer remembers the event
ids of the last `window` records of each partition it owns and drops a record whose id is
among them. On assignment the window is refilled from the partition's newest files, so a copy
that arrives after a restart or a rebalance is still recognised.

A copy further behind than the window lands twice; the window is a setting
(`CONSUMER_DEDUP_WINDOW`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any


class RecentIds:
    """The last `window` ids of one partition, oldest first."""

    __slots__ = ("_ids", "_order")

    def __init__(self, window: int, seed: Iterable[Any] = ()) -> None:
        self._order: deque[Any] = deque(maxlen=window)
        self._ids: set[Any] = set()
        for event_id in seed:
            self.add(event_id)

    def add(self, event_id: Any) -> bool:
        """Remember `event_id`; False if it is among the last `window` ids already."""
        ids = self._ids
        if event_id in ids:
            return False
        order = self._order
        if len(order) == order.maxlen:
            ids.discard(order[0])
        order.append(event_id)
        ids.add(event_id)
        return True


def newest(values_by_file: Iterable[Sequence[Any]], window: int) -> list[Any]:
    """The last `window` values, given each file's values newest file first."""
    kept: list[Sequence[Any]] = []
    count = 0
    for values in values_by_file:
        kept.append(values)
        count += len(values)
        if count >= window:
            break
    flat = [value for values in reversed(kept) for value in values]
    return flat[-window:] if window else []
