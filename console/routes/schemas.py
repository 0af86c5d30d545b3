"""Schemas: subjects, a subject's versions, a diff of two versions, a candidate checked
against the subject's level (and registered, with write access)."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, render_template, request

from console.errors import (
    BadRequestError,
    NotFoundError,
    RegistryRefusedError,
    WriteAccessOffError,
)
from console.registry_reader import SubjectSummary
from console.routes import services
from console.schema_diff import diff_schemas
from console.verdicts import read_messages
from contract.schema_types import AVRO

blueprint = Blueprint("schemas", __name__, url_prefix="/schemas")
Page = tuple[str, int]


@blueprint.get("")
def index() -> str:
    console = services()
    return render_template(
        "schemas/index.html",
        subjects=console.registry.subjects(),
        registry_url=console.settings.registry_url,
    )


@blueprint.get("/subject")
def subject() -> str:
    name = _required(request.args, "name")
    registry = services().registry
    return render_template(
        "schemas/subject.html", summary=registry.summary(name), versions=registry.versions(name)
    )


@blueprint.get("/diff")
def diff() -> str:
    name = _required(request.args, "name")
    registry = services().registry
    before = registry.version(name, _version(request.args, "from"))
    after = registry.version(name, _version(request.args, "to"))
    # The field table reads Avro; other types' versions are shown side by side only.
    avro = before.schema_type == after.schema_type == AVRO
    return render_template(
        "schemas/diff.html",
        before=before,
        after=after,
        changes=diff_schemas(before.schema, after.schema) if avro else None,
    )


@blueprint.post("/check")
def check() -> Page:
    """The candidate against the subject's level: asks the registry, changes nothing."""
    name, candidate = _required(request.form, "name"), _required(request.form, "schema")
    registry = services().registry
    summary = registry.summary(name)
    try:
        verdict = registry.check(name, candidate)
    except NotFoundError:
        return _verdict(summary, candidate, "Compatible", "No version to check against yet")
    except RegistryRefusedError as refused:
        return _refused(summary, candidate, refused)
    if verdict.compatible:
        outcome = f"Compatible under {summary.compatibility}"
        return _verdict(summary, candidate, "Compatible", outcome)
    outcome = f"Incompatible under {summary.compatibility}"
    return _verdict(summary, candidate, "Incompatible", outcome, verdict.messages)


@blueprint.post("/register")
def register() -> Page:
    console = services()
    if not console.settings.write_access:
        raise WriteAccessOffError()
    name, candidate = _required(request.form, "name"), _required(request.form, "schema")
    try:
        registration = console.registry.register(name, candidate)
    except RegistryRefusedError as refused:
        return _refused(console.registry.summary(name), candidate, refused)
    outcome = f"Registered as version {registration.version} (schema id {registration.id})"
    return _verdict(console.registry.summary(name), candidate, "Registered", outcome)


def _verdict(
    summary: SubjectSummary,
    candidate: str,
    heading: str,
    outcome: str,
    messages: list[str] | None = None,
    *,
    status: int = 200,
) -> Page:
    page = render_template(
        "schemas/verdict.html",
        summary=summary,
        candidate=candidate,
        heading=heading,
        compatible=heading in ("Compatible", "Registered"),
        outcome=outcome,
        verdict=read_messages(messages or []),
    )
    return page, status


def _refused(summary: SubjectSummary, candidate: str, refused: RegistryRefusedError) -> Page:
    """The registry's own refusal (409 with the incompatibilities, 422 for a schema that
    does not parse), shown with its status."""
    code = f" (error {refused.error_code})" if refused.error_code else ""
    outcome = f"The registry refused it{code}"
    return _verdict(
        summary, candidate, "Refused", outcome, [refused.message], status=refused.status
    )


def _required(values: Mapping[str, str], key: str) -> str:
    value = values.get(key)
    if not value:
        raise BadRequestError(f"'{key}' is required")
    return value


def _version(values: Mapping[str, str], key: str) -> int:
    text = _required(values, key)
    if not text.isdigit():
        raise BadRequestError(f"'{key}' must be a version number, not {text!r}")
    return int(text)
