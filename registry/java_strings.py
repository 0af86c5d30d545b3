"""Java's String order, which Confluent's sorted maps and sets follow (TreeMap, TreeSet):
`String.compareTo` compares UTF-16 code units, so a character above U+FFFF sorts by its
surrogates, before U+E000 to U+FFFF, where Python's code-point order puts it after."""

from __future__ import annotations


def java_order(text: str) -> bytes:
    """A sort key giving Java's String order."""
    return text.encode("utf-16-be", "surrogatepass")
