"""create_app(settings) -> Flask: the users API's HTTP application."""

from __future__ import annotations

import json
import traceback
from importlib import resources
from typing import Any

import sqlalchemy as sa
import structlog
from flask import Flask, Response, g
from sqlalchemy.engine import make_url
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from contract.event_schema import EventContract
from platform_common.database import libpq_url
from platform_common.request_log import install_request_log
from producer_api import routes
from producer_api.database import open_engine
from producer_api.errors import ApiError, DatabaseUnavailableError, FieldError
from producer_api.metrics import Metrics
from producer_api.models import country_codes
from producer_api.outbox.wakeup import RelayWaker
from producer_api.routes import ApiContext
from producer_api.service import UserEvents
from producer_api.settings import ApiSettings

log = structlog.get_logger("producer_api")

# A server that does not answer must not hang readiness probes and requests for minutes.
_CONNECT_TIMEOUT_SECONDS = "5"
# SQLAlchemy's errors for a database that cannot be reached or a pool that is exhausted.
_DATABASE_DOWN: tuple[type[Exception], ...] = (
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    sa.exc.DisconnectionError,
    sa.exc.TimeoutError,
)
_HTTP_MESSAGES = {
    404: "no such resource",
    405: "method not allowed on this resource",
    415: "the body must be JSON: Content-Type application/json",
}


def create_app(settings: ApiSettings | None = None, *, engine: sa.Engine | None = None) -> Flask:
    """The application; the caller migrates the database first (`python -m producer_api` does).

    Args:
        settings: read from the environment when None.
        engine: the database to use; by default one opened from ``settings.database_url``
            with a pool of one connection per gunicorn thread.
    """
    settings = settings or ApiSettings()
    if engine is None:
        url = _with_connect_timeout(settings.database_url.get_secret_value())
        engine = open_engine(url, pool_size=settings.threads)
        sa.event.listen(engine, "connect", _utc_session)
    # Each of the API's statements is a whole transaction (the user and its outbox row are one
    # statement, see users.py), so autocommit: no BEGIN and COMMIT, two round trips of three.
    engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    contract = EventContract.from_folder(
        settings.schema_folder, subject=settings.subject, version=settings.event_schema_version
    )
    # Load the country list now rather than during a worker's first request.
    country_codes()
    waker = RelayWaker(libpq_url(engine.url), interval=settings.wake_interval_ms / 1000)
    app = Flask("producer_api")
    # A larger body is a 413 when a route reads it (routes.json_body covers chunked ones).
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.extensions["producer_api"] = ApiContext(
        engine=engine,
        events=UserEvents(contract=contract, topic=settings.events_topic, waker=waker),
        metrics=Metrics.from_environment(engine),
        openapi=resources.files("producer_api").joinpath("openapi.json").read_bytes(),
    )
    app.register_blueprint(routes.users)
    app.register_blueprint(routes.probes)
    install_request_log(app, observe=_observe)
    _register_error_handlers(app)
    return app


def _with_connect_timeout(database_url: str) -> str:
    url = make_url(database_url)
    if "connect_timeout" in url.query:
        return database_url
    url = url.update_query_dict({"connect_timeout": _CONNECT_TIMEOUT_SECONDS})
    return url.render_as_string(hide_password=False)


def _utc_session(dbapi_connection: Any, _record: object) -> None:
    """Timestamps come back in the session's time zone: in one west of UTC, year 1 (east of
    it, year 9999) is outside Python's datetime range and psycopg cannot load the row. A
    SET rather than a URL option, which PGTZ in the environment would override."""
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    dbapi_connection.execute("SET TimeZone TO 'UTC'")
    dbapi_connection.autocommit = autocommit


def _observe(*, method: str, route: str, status: int, seconds: float) -> None:
    """The metrics of every answer, errors included, from the request log's timing."""
    routes.context().metrics.observe(method=method, route=route, status=status, seconds=seconds)


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> Response:
        response = _error_body(error.http_status, error.errors)
        if isinstance(error, DatabaseUnavailableError):
            response.headers["Retry-After"] = "1"
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        if isinstance(error, RequestEntityTooLarge):
            limit = app.config["MAX_CONTENT_LENGTH"]
            problem = FieldError("body", f"must be at most {limit} bytes")
        else:
            problem = FieldError(None, _HTTP_MESSAGES.get(status, error.name.lower()))
        response = _error_body(status, [problem])
        # Keep what werkzeug adds besides its HTML, such as Allow on a 405.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    def database_down(error: Exception) -> Response:
        # The type only: a driver's message can quote the statement's parameters.
        log.warning(
            "database_unavailable",
            error_type=type(error).__name__,
            request_id=g.get("request_id"),
        )
        return api_error(DatabaseUnavailableError())

    for error_class in _DATABASE_DOWN:
        app.register_error_handler(error_class, database_down)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        # No message and no traceback text: either can hold input values. The frames say
        # where it happened without saying what the data was.
        frames = traceback.extract_tb(error.__traceback__)[-6:]
        log.error(
            "unhandled_error",
            error_type=type(error).__name__,
            where=[f"{frame.filename}:{frame.lineno} {frame.name}" for frame in frames],
            request_id=g.get("request_id"),
        )
        return _error_body(500, [FieldError(None, "internal server error")])


def _error_body(status: int, errors: list[FieldError]) -> Response:
    """Every error, whatever raised it: {"errors": [{"field": str | null, "message": str}]}."""
    body = json.dumps({"errors": [error.to_json() for error in errors]})
    return Response(body, status=status, mimetype=routes.JSON)
