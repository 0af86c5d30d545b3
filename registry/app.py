"""create_app(settings) -> Flask: the Schema Registry's HTTP application."""

from __future__ import annotations

from importlib import resources

import structlog
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from contract.error_codes import ErrorCode
from platform_common.request_log import install_request_log
from registry.auth import BasicAuth, load_users
from registry.configuration import ConfigService
from registry.errors import (
    NotAcceptableError,
    RegistryError,
    UnauthorizedError,
    UnsupportedMediaTypeError,
)
from registry.http import REQUEST_TYPES, json_response
from registry.negotiation import choose
from registry.paths import JavaIntConverter, RestConverter, SegmentConverter
from registry.routes import Services, compatibility, config, root, schemas, subjects
from registry.service import RegistryService
from registry.settings import RegistrySettings
from registry.storage import RegistryStore, open_store

log = structlog.get_logger("registry")


def create_app(
    settings: RegistrySettings | None = None, *, store: RegistryStore | None = None
) -> Flask:
    """The application; the caller migrates the database first (`python -m registry` does).

    Args:
        settings: read from the environment when None.
        store: the storage to use; by default one opened from ``settings.database_url``.
    """
    settings = settings or RegistrySettings()
    if store is None:
        store = open_store(settings.database_url.get_secret_value(), pool_size=settings.threads + 1)
    app = Flask("registry")
    app.url_map.converters["subject"] = SegmentConverter
    app.url_map.converters["segment"] = SegmentConverter
    app.url_map.converters["rest"] = RestConverter
    app.url_map.converters["java_int"] = JavaIntConverter
    app.extensions["registry"] = Services(
        registry=RegistryService(store, default_level=settings.compatibility),
        config=ConfigService(store, default_level=settings.compatibility),
    )
    for module in (root, subjects, schemas, compatibility, config):
        app.register_blueprint(module.blueprint)
    app.add_url_rule("/openapi.json", "openapi", _openapi)

    # Its hooks run before auth's whatever the order here: a 401's log line has the id.
    install_request_log(app)
    if settings.auth_file is not None:
        auth = BasicAuth(load_users(settings.auth_file))
        app.before_request(auth.authorize)
    app.before_request(_negotiate)
    _register_error_handlers(app)
    return app


def _openapi() -> Response:
    text = resources.files("registry").joinpath("openapi.json").read_text()
    return Response(text, mimetype="application/json")


def _negotiate() -> None:
    """415 for a body in another media type, 406 when the client accepts none of ours."""
    has_body = request.method in ("POST", "PUT") and bool(request.content_type)
    if has_body and request.mimetype not in REQUEST_TYPES:
        raise UnsupportedMediaTypeError()
    if request.path != "/openapi.json" and choose(request.headers.get("Accept")) is None:
        raise NotAcceptableError()


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(RegistryError)
    def registry_error(error: RegistryError) -> Response:
        response = _error_body(error.http_status, int(error.error_code), error.message)
        if isinstance(error, UnauthorizedError):
            response.headers["WWW-Authenticate"] = 'Basic realm="schema-registry"'
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        code = int(ErrorCode.of_http_status(status))
        return _error_body(status, code, f"HTTP {status} {error.name}")

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unhandled_error", error_type=type(error).__name__)
        return _error_body(500, int(ErrorCode.INTERNAL_SERVER_ERROR), "Internal Server Error")


def _error_body(status: int, code: int, message: str) -> Response:
    """Every error, whatever raised it: {"error_code": int, "message": str}."""
    return json_response({"error_code": code, "message": message}, status=status)
