"""HTTP routes: parse the request, call the service, render JSON. No rules, no SQL here."""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from producer_api import service
from producer_api.errors import UnsupportedMediaTypeError
from producer_api.metrics import Metrics
from producer_api.models import UserResponse, parse_new_user
from producer_api.service import UserEvents
from producer_api.users import StoredUser

users = Blueprint("users", __name__)
probes = Blueprint("probes", __name__)

JSON = "application/json"
_OK = json.dumps({"status": "ok"})


@dataclass(frozen=True)
class ApiContext:
    """What the routes use, built once by create_app."""

    engine: sa.Engine
    events: UserEvents
    metrics: Metrics
    openapi: bytes


def context() -> ApiContext:
    found: ApiContext = current_app.extensions["producer_api"]
    return found


@users.post("/users")
def create_user() -> Response:
    """POST /users: the user and its UserCreated event, in one transaction; 201."""
    user = parse_new_user(json_body())
    return created(service.create_user(context().engine, user, events=context().events))


@users.get("/users/<int:user_id>")
def get_user(user_id: int) -> Response:
    """GET /users/{id}: the user, or 404."""
    found = service.find_user(context().engine, user_id)
    return Response(UserResponse.of(found).model_dump_json(), mimetype=JSON)


@probes.get("/healthz")
def healthz() -> Response:
    """Liveness: the process answers HTTP."""
    return Response(_OK, mimetype=JSON)


@probes.get("/readyz")
def readyz() -> Response:
    """Readiness: 200 once `SELECT 1` works; the error mapping answers 503 otherwise."""
    service.check_database(context().engine)
    return Response(_OK, mimetype=JSON)


@probes.get("/metrics")
def metrics() -> Response:
    """Prometheus exposition: request counters and the outbox gauges."""
    body, content_type = context().metrics.render()
    return Response(body, content_type=content_type)


@probes.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.0.3 description of this API."""
    return Response(context().openapi, mimetype=JSON)


def json_body() -> bytes:
    """The raw body of a JSON request; 415 for another media type, 413 when too large."""
    if request.mimetype != JSON:
        raise UnsupportedMediaTypeError
    body = request.get_data(cache=False)
    limit = request.max_content_length
    # A chunked body has no Content-Length: werkzeug stops reading it at the limit without
    # a word, so look one byte further rather than parse a truncated body.
    if (
        request.content_length is None
        and limit is not None
        and len(body) >= limit
        and request.environ["wsgi.input"].read(1)
    ):
        raise RequestEntityTooLarge
    return body


def created(user: StoredUser) -> Response:
    """201 with the user and its Location."""
    response = Response(UserResponse.of(user).model_dump_json(), status=201, mimetype=JSON)
    response.headers["Location"] = f"/users/{user.id}"
    return response
