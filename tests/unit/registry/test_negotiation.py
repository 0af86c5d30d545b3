"""The response's media type, chosen as Jersey chooses it."""

from __future__ import annotations

import pytest

from registry.negotiation import choose, parse_accept

V1 = "application/vnd.schemaregistry.v1+json"
VND = "application/vnd.schemaregistry+json"
JSON = "application/json"
# What Java's HttpURLConnection sends when its caller sets no Accept.
JAVA_DEFAULT = "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, V1),
        ("", V1),
        ("*/*", V1),
        (JAVA_DEFAULT, V1),
        ("*", V1),
        ("application/*", V1),
        (JSON, JSON),
        (VND, VND),
        (f"{V1}, {VND}, {JSON}", V1),
        # The client's q outranks the server's qs.
        (f"{JSON}, {V1};q=0.9", JSON),
        (f"{JSON};q=0.1, {VND}", VND),
        # Equal client q: the server's qs decides.
        (f"{JSON}, {VND}", VND),
        (f"{JSON}, */*;q=0.1", JSON),
        # q=0 excludes, even where a wildcard would admit the type.
        (f"*/*, {V1};q=0, {VND};q=0", JSON),
        (f"*/*;q=0, {JSON}", JSON),
        ("text/html", None),
        ("text/*, image/png", None),
        ("*/*;q=0", None),
        # A range that does not parse is left out, not the header.
        ("text/html;q=0.5, nonsense", None),
        (f"{JSON};q=abc, {VND}", VND),
        ("application/json;q=2", V1),
        ("/json, */json", V1),
    ],
)
def test_choose(accept: str | None, expected: str | None) -> None:
    assert choose(accept) == expected


def test_quality_values_as_jersey_reads_them() -> None:
    ranges = parse_accept("a/b;q=.2, c/d;q=0.25, e/f;Q=1, g/h;q=1.000, i/j;level=1;q=0")
    assert [(r.type, r.subtype, r.quality) for r in ranges] == [
        ("a", "b", 0.2),
        ("c", "d", 0.25),
        ("e", "f", 1.0),
        ("g", "h", 1.0),
        ("i", "j", 0.0),
    ]
    assert parse_accept("a/b;q=1.5, c/d;q=0.1234, e/f;q=, g/h;q=-1") == []
