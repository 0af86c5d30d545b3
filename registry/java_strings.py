"""Java's String order, which Confluent's sorted maps and sets follow (TreeMap, TreeSet):
`String.compareTo` compares UTF-16 code units, so a character above U+FFFF sorts by its
surrogates, before U+E000 to U+FFFF, where Python's code-point order puts it after."""

from __future__ import annotations

from collections.abc import Iterable


def java_order(text: str) -> bytes:
    """A sort key giving Java's String order."""
    return text.encode("utf-16-be", "surrogatepass")


def java_hash_set_order(
    keys: Iterable[str | int], *, initial_capacity: int = 16
) -> list[str | int]:
    """``keys`` in the order a `java.util.HashSet` (or a HashMap's key set) that received
    them in this order iterates them: by bucket of the spread hash, then by arrival. Some
    of Confluent's checkers report differences in that order."""
    capacity = initial_capacity
    buckets: list[list[str | int]] = [[] for _ in range(capacity)]
    size = 0
    for key in keys:
        bucket = buckets[_spread(_java_hash(key)) & (capacity - 1)]
        if key in bucket:
            continue
        bucket.append(key)
        size += 1
        if size > capacity * 0.75:
            # Java splits each bucket in two, keeping its order.
            capacity *= 2
            grown: list[list[str | int]] = [[] for _ in range(capacity)]
            for old in buckets:
                for moved in old:
                    grown[_spread(_java_hash(moved)) & (capacity - 1)].append(moved)
            buckets = grown
    return [key for bucket in buckets for key in bucket]


def hash_set_capacity(size: int) -> int:
    """The table a `new HashSet<>(collection)` of ``size`` starts with."""
    wanted = max(int(size / 0.75) + 1, 16)
    capacity = 1
    while capacity < wanted:
        capacity *= 2
    return capacity


def _java_hash(key: str | int) -> int:
    if isinstance(key, int):
        return key & 0xFFFFFFFF
    units = key.encode("utf-16-be", "surrogatepass")
    value = 0
    for index in range(0, len(units), 2):
        value = (31 * value + (units[index] << 8 | units[index + 1])) & 0xFFFFFFFF
    return value


def _spread(hash_code: int) -> int:
    return (hash_code ^ (hash_code >> 16)) & 0xFFFFFFFF
