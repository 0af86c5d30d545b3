"""Path segments as clients encode them: a subject may contain "/" (sent as %2F).

WSGI servers decode the whole path before routing, so "a%2Fb" would arrive as two segments.
The middleware rebuilds the path from the raw request line, keeping each segment's own
"/" and "%" encoded; the converter decodes a segment once it is matched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote, unquote_to_bytes

from werkzeug.routing import BaseConverter, ValidationError

from registry.model import MAX_INT

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class SegmentConverter(BaseConverter):
    """One path segment, any character but "/" (newlines included), percent-decoded."""

    regex = "[^/]+"

    def to_python(self, value: str) -> str:
        return unquote(value)

    def to_url(self, value: Any) -> str:
        return str(value).replace("%", "%25").replace("/", "%2F")


class JavaIntConverter(BaseConverter):
    """A path segment Confluent declares `Integer`: what Java's `Integer.valueOf` reads.

    Anything else (a word, a number past 2^31-1) fails Jersey's conversion, which is a route
    miss there: 404 with error_code 404, not the resource's own 40403.
    """

    regex = r"[+-]?\d+"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not -MAX_INT - 1 <= number <= MAX_INT:
            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))


class RestConverter(BaseConverter):
    """The rest of a path, whatever it holds (werkzeug's `path` stops at a newline)."""

    regex = r"[\s\S]+"
    weight = 200
    # Spans several segments (werkzeug infers this only from a "/" in the regex).
    part_isolating = False


def keep_encoded_slashes(app: WsgiApp) -> WsgiApp:
    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        if isinstance(raw, str) and raw.startswith("/"):
            path = raw.split("?", 1)[0]
            segments = [
                unquote_to_bytes(segment)
                .replace(b"%", b"%25")
                .replace(b"/", b"%2F")
                .decode("latin-1")
                for segment in path.split("/")
            ]
            # WSGI carries the path as latin-1 characters of its UTF-8 bytes.
            environ["PATH_INFO"] = "/".join(segments)
        return app(environ, start_response)

    return middleware
