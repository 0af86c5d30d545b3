"""/subjects: register, look up, list, read and delete versions."""

from __future__ import annotations

from flask import Blueprint, Response, request

from registry.http import (
    flag,
    json_response,
    page,
    raw_response,
    render_registered,
    render_schema,
    schema_request,
)
from registry.model import parse_version
from registry.routes import in_format, services, text_in_format

blueprint = Blueprint("subjects", __name__)


@blueprint.get("/subjects")
def list_subjects() -> Response:
    """GET /subjects (subjectPrefix, deleted, deletedOnly)."""
    found = services().registry.list_subjects(
        prefix=request.args.get("subjectPrefix"),
        deleted=flag("deleted"),
        deleted_only=flag("deletedOnly") or flag("deleted_only"),
    )
    return json_response(page(found))


@blueprint.get("/subjects/<subject:subject>/versions")
def list_versions(subject: str) -> Response:
    """GET /subjects/{subject}/versions (deleted, deletedOnly)."""
    found = services().registry.list_versions(
        subject,
        deleted=flag("deleted"),
        deleted_only=flag("deletedOnly") or flag("deleted_only"),
    )
    return json_response(page(found))


@blueprint.post("/subjects/<subject:subject>/versions")
def register(subject: str) -> Response:
    """POST /subjects/{subject}/versions (normalize): register a schema under a subject."""
    registered = services().registry.register(
        subject, schema_request(), normalize=flag("normalize")
    )
    return json_response(in_format(render_registered(registered), registered.schema))


@blueprint.post("/subjects/<subject:subject>")
def lookup(subject: str) -> Response:
    """POST /subjects/{subject} (normalize, deleted): which version holds this schema."""
    found = services().registry.lookup(
        subject, schema_request(), normalize=flag("normalize"), deleted=flag("deleted")
    )
    return json_response(in_format(render_schema(found), found.schema))


@blueprint.get("/subjects/<subject:subject>/versions/<segment:version>")
def get_version(subject: str, version: str) -> Response:
    """GET /subjects/{subject}/versions/{version} (deleted)."""
    found = services().registry.get_version(
        subject, parse_version(version), deleted=flag("deleted")
    )
    return json_response(in_format(render_schema(found), found.schema))


@blueprint.get("/subjects/<subject:subject>/versions/<segment:version>/schema")
def get_version_schema(subject: str, version: str) -> Response:
    """GET /subjects/{subject}/versions/{version}/schema: the schema text alone."""
    found = services().registry.get_version(
        subject, parse_version(version), deleted=flag("deleted")
    )
    return raw_response(text_in_format(found.schema))


@blueprint.get("/subjects/<subject:subject>/versions/<segment:version>/referencedby")
def referenced_by(subject: str, version: str) -> Response:
    """GET /subjects/{subject}/versions/{version}/referencedby: ids of schemas using it."""
    return json_response(page(services().registry.referenced_by(subject, parse_version(version))))


@blueprint.delete("/subjects/<subject:subject>/versions/<segment:version>")
def delete_version(subject: str, version: str) -> Response:
    """DELETE /subjects/{subject}/versions/{version} (permanent)."""
    deleted = services().registry.delete_version(
        subject, parse_version(version), permanent=flag("permanent")
    )
    return json_response(deleted)


@blueprint.delete("/subjects/<subject:subject>")
def delete_subject(subject: str) -> Response:
    """DELETE /subjects/{subject} (permanent)."""
    deleted = services().registry.delete_subject(subject, permanent=flag("permanent"))
    return json_response(deleted)
