"""create_app(settings) -> Flask: the console's web application."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import structlog
from flask import Flask, redirect, render_template, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from console.dead_letters import DeadLetterReader
from console.errors import ConsoleError
from console.flow import FlowReader
from console.flow_history import FlowHistory
from console.kafka_view import KafkaView
from console.lake_query import QueryLimits, QuerySandbox
from console.lake_reader import LakeReader
from console.registry_reader import RegistryReader
from console.routes import ConsoleServices, dead_letters, flow, lake, schemas
from console.settings import ConsoleSettings
from consumer.settings import LakeSettings
from contract.personal import personal_fields_of_texts
from contract.schema_folder import read_subject
from platform_common.request_log import install_request_log

log = structlog.get_logger("console")

# (endpoint, label) of each section, in the navigation's order.
SECTIONS = [
    ("schemas.index", "Schemas"),
    ("flow.index", "Flow"),
    ("dead_letters.index", "Dead letters"),
    ("lake.index", "Lake"),
]


def create_app(
    settings: ConsoleSettings | None = None, lake_settings: LakeSettings | None = None
) -> Flask:
    """The application; ``settings`` (and where the lake is, from the lake writer's
    CONSUMER_* variables) are read from the environment when None.

    Raises:
        SchemaFolderError, OSError: the event's schema folder or the lake's reader schema
            cannot be read, so the console cannot tell which columns hold personal data.
    """
    settings = settings or ConsoleSettings()
    lake_settings = lake_settings or LakeSettings()
    registry = RegistryReader(
        settings.registry_url,
        auth=settings.registry_auth(),
        ca_file=settings.registry_ca_file,
        timeout=settings.registry_timeout_ms / 1000,
    )
    app = Flask("console")
    kafka = KafkaView(settings.kafka_bootstrap_servers)
    flow_reader = FlowReader(settings, kafka)
    app.extensions["console"] = ConsoleServices(
        settings=settings,
        registry=registry,
        flow=flow_reader,
        history=FlowHistory(flow_reader.read, settings.refresh_seconds),
        dead_letters=DeadLetterReader(settings.kafka_bootstrap_servers, settings.dead_letter_topic),
        lake=LakeReader(lake_settings, hidden=_personal_columns(lake_settings)),
        queries=QuerySandbox(
            QueryLimits(
                max_rows=settings.query_max_rows,
                timeout_seconds=settings.query_timeout_seconds,
                memory_mb=settings.query_memory_mb,
            )
        ),
    )
    for module in (schemas, flow, dead_letters, lake):
        app.register_blueprint(module.blueprint)
    app.add_url_rule("/", "home", _home)
    app.add_template_filter(_pretty_json, "pretty_json")
    app.add_template_filter(_utc_time, "utc_time")
    app.context_processor(lambda: {"sections": SECTIONS, "write_access": settings.write_access})
    install_request_log(app)
    _register_error_handlers(app)
    return app


def _personal_columns(lake: LakeSettings) -> frozenset[str] | None:
    """The event's fields that any version in the schema folder, or the lake writer's own
    reader schema, marks personal; None when there is no schema to tell."""
    texts = [file.text for file in read_subject(lake.schema_folder).files]
    if lake.reader_schema is not None:
        texts.append(lake.reader_schema.read_text(encoding="utf-8"))
    return personal_fields_of_texts(texts) if texts else None


def _home() -> Response:
    return redirect(url_for("schemas.index"))


def _pretty_json(text: str) -> str:
    """A schema as indented JSON; text that is not JSON, as it came."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def _utc_time(milliseconds: int | None) -> str:
    if milliseconds is None:
        return "\u2013"  # an en dash, as the other pages show a missing figure
    return datetime.fromtimestamp(milliseconds / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ConsoleError)
    def _console_error(error: ConsoleError) -> tuple[str, int]:
        if error.status >= 500:
            log.warning("page_failed", error=type(error).__name__, status=error.status)
        return _error_page(error.status, error.message)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[str, int]:
        status = error.code or 500
        return _error_page(status, error.description or error.name)


def _error_page(status: int, message: str) -> tuple[str, int]:
    # 502: the registry or Kafka did not answer; the message says which.
    headings = {400: "Bad request", 403: "Read-only", 404: "Not found", 502: "Not answering"}
    heading = headings.get(status, "Something went wrong")
    return render_template("error.html", status=status, heading=heading, message=message), status
