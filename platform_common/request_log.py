"""The request middleware of every Flask app: a request id, a timing and one log line each.

A client's `X-Request-Id` is kept only if it looks like an id; anything else (too long, free
text that could hold personal data) is replaced by one of ours before it is logged or echoed.
The log line names the route rule, never the path, its parameters, the headers or the body.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Protocol

import structlog
from flask import Flask, Response, g, request

REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# The route of a request that matched no rule (a 404 or a refused method).
UNMATCHED = "unmatched"


class RequestObserver(Protocol):
    """Told of every answered request, errors included (the API's metrics)."""

    def __call__(self, *, method: str, route: str, status: int, seconds: float) -> None: ...


def install_request_log(app: Flask, observe: RequestObserver | None = None) -> None:
    """Give every request of ``app`` its id, time it, and log it once when it is answered.

    Both hooks are the outermost, whenever the app's others were installed: the id is set
    before any other `before_request` runs (a 401 one of them raises is logged with its id),
    and the line logs the response after every other `after_request` changed it.
    """
    log = structlog.get_logger(app.name)

    def start_request() -> None:
        g.request_started = time.perf_counter()
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = offered if _REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex

    def finish_request(response: Response) -> Response:
        elapsed = time.perf_counter() - g.get("request_started", time.perf_counter())
        # The rule, not the path: /users/{id} stays one route in logs and metrics.
        route = request.url_rule.rule if request.url_rule else UNMATCHED
        if observe is not None:
            observe(
                method=request.method, route=route, status=response.status_code, seconds=elapsed
            )
        request_id = g.get("request_id", "")
        log.info(
            "request",
            method=request.method,
            route=route,
            status=response.status_code,
            duration_ms=round(elapsed * 1000, 2),
            request_id=request_id,
        )
        response.headers[REQUEST_ID_HEADER] = request_id
        return response

    app.before_request_funcs.setdefault(None, []).insert(0, start_request)
    # Flask runs the after_request hooks last registered first.
    app.after_request_funcs.setdefault(None, []).insert(0, finish_request)
