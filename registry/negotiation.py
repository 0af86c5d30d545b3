"""Content negotiation of the response's media type, by Jersey's rules.

Confluent's server is a Jersey application, so clients are written against Jersey's reading of
`Accept`. werkzeug's parser differs where real clients go: it drops a range whose q-value has
no leading digit (`q=.2`) and does not read a bare `*` as `*/*`, and both appear in the header
Java's HTTP client sends when its caller sets none
(`text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2`), so the choice is written here.

Jersey's choice: a range whose q is 0 excludes; among the types this server produces that an
acceptable range matches, the client's q decides, then the server's own quality (`qs` on its
`@Produces`), then how exactly the range matched. A range that does not parse is ignored rather
than failing the whole header.
"""

from __future__ import annotations

from dataclasses import dataclass

# What the registry produces, with Confluent's qs values (`Versions.java`: PREFERRED,
# vnd+json, json), best first.
PRODUCED: tuple[tuple[str, float], ...] = (
    ("application/vnd.schemaregistry.v1+json", 1.0),
    ("application/vnd.schemaregistry+json", 0.9),
    ("application/json", 0.5),
)


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    quality: float

    def distance(self, media_type: str) -> int | None:
        """0 for an exact match, 1 through `type/*`, 2 through `*/*`; None: no match."""
        kind, _, subtype = media_type.partition("/")
        if self.type == "*":
            return 2
        if self.type != kind:
            return None
        if self.subtype == "*":
            return 1
        return 0 if self.subtype == subtype else None


def parse_accept(header: str) -> list[MediaRange]:
    """The ranges of an Accept header that parse; the others are left out."""
    ranges = []
    for item in header.split(","):
        parsed = _parse_range(item)
        if parsed is not None:
            ranges.append(parsed)
    return ranges


def _parse_range(item: str) -> MediaRange | None:
    kind, *parameters = (part.strip() for part in item.split(";"))
    if not kind:
        return None
    main, slash, subtype = kind.lower().partition("/")
    # Some HTTP clients send "*" for "*/*"; Jersey reads it so.
    if not slash:
        if main != "*":
            return None
        subtype = "*"
    if not main or not subtype or (main == "*" and subtype != "*"):
        return None
    quality = 1.0
    for parameter in parameters:
        name, equals, value = parameter.partition("=")
        if name.strip().lower() != "q":
            continue
        parsed_quality = _quality(value.strip()) if equals else None
        if parsed_quality is None:
            return None
        quality = parsed_quality
    return MediaRange(main, subtype, quality)


def _quality(text: str) -> float | None:
    """A q-value: 0 to 1 with at most three decimals (a leading "." allowed, as Jersey does)."""
    whole, dot, decimals = text.partition(".")
    if whole not in ("", "0", "1") or (not whole and not dot) or len(decimals) > 3:
        return None
    if decimals and not decimals.isdigit():
        return None
    value = float(f"{whole or '0'}.{decimals or '0'}")
    return value if value <= 1.0 else None


def choose(header: str | None) -> str | None:
    """The media type to answer with; None when the client accepts none of ours (406).

    A missing or empty header, or one of which no range parses, accepts anything.
    """
    ranges = parse_accept(header or "")
    if not ranges:
        return PRODUCED[0][0]
    best: tuple[float, float, int] | None = None
    chosen = None
    for media_type, server_quality in PRODUCED:
        matches = [
            (media_range.quality, distance)
            for media_range in ranges
            if (distance := media_range.distance(media_type)) is not None
        ]
        if not matches:
            continue
        # The most specific matching range speaks for this type (RFC 9110 §12.5.1).
        quality, distance = min(matches, key=lambda match: (match[1], -match[0]))
        if quality <= 0:
            continue
        rank = (quality, server_quality, -distance)
        if best is None or rank > best:
            best, chosen = rank, media_type
    return chosen
