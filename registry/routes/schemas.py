"""/schemas: schemas by id, and the listing of every registered version."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from registry.catalog import SUPPORTED_TYPES
from registry.errors import SchemaNotFoundError
from registry.http import flag, json_response, page, raw_response, render_schema, schema_extras
from registry.routes import services

blueprint = Blueprint("schemas", __name__)


@blueprint.get("/schemas/types")
def schema_types() -> Response:
    """GET /schemas/types."""
    return json_response(list(SUPPORTED_TYPES))


@blueprint.get("/schemas")
def list_schemas() -> Response:
    """GET /schemas (subjectPrefix, deleted, latestOnly)."""
    found = services().registry.list_schemas(
        prefix=request.args.get("subjectPrefix"),
        deleted=flag("deleted"),
        latest_only=flag("latestOnly"),
    )
    return json_response(page([render_schema(item) for item in found]))


@blueprint.get("/schemas/ids/<int(signed=True):schema_id>")
def schema_by_id(schema_id: int) -> Response:
    """GET /schemas/ids/{id} (subject): the schema, plus subject and version when hinted."""
    schema = services().registry.schema_by_id(schema_id)
    body: dict[str, Any] = {"schemaType": schema.schema_type, **schema_extras(schema)}
    body["schema"] = schema.text
    subject = request.args.get("subject")
    if subject:
        # A hint, as in Confluent: that subject's version if it holds the id, else any's.
        holders = services().registry.versions_of_schema(schema_id, deleted=True)
        chosen = next((v for v in holders if v.subject == subject), None) or next(
            iter(holders), None
        )
        if chosen is not None:
            body.update(subject=chosen.subject, version=chosen.version)
    return json_response(body)


@blueprint.get("/schemas/ids/<int(signed=True):schema_id>/schema")
def schema_text_by_id(schema_id: int) -> Response:
    """GET /schemas/ids/{id}/schema: the schema text alone."""
    return raw_response(services().registry.schema_by_id(schema_id).text)


@blueprint.get("/schemas/ids/<int(signed=True):schema_id>/subjects")
def subjects_of_schema(schema_id: int) -> Response:
    """GET /schemas/ids/{id}/subjects (deleted)."""
    versions = services().registry.versions_of_schema(schema_id, deleted=flag("deleted"))
    subjects = sorted({version.subject for version in versions})
    return json_response(page(subjects))


@blueprint.get("/schemas/ids/<int(signed=True):schema_id>/versions")
def versions_of_schema(schema_id: int) -> Response:
    """GET /schemas/ids/{id}/versions (deleted): [{subject, version}, …]."""
    versions = services().registry.versions_of_schema(schema_id, deleted=flag("deleted"))
    return json_response(
        page([{"subject": version.subject, "version": version.version} for version in versions])
    )


@blueprint.get("/schemas/ids/<schema_id>")
@blueprint.get("/schemas/ids/<schema_id>/<rest:_rest>")
def schema_id_not_a_number(schema_id: str, _rest: str = "") -> Response:
    """An id that is not an integer names no schema."""
    raise SchemaNotFoundError()
