"""/schemas: schemas by id, and the listing of every registered version."""

from __future__ import annotations

from flask import Blueprint, Response, request

from registry.http import (
    flag,
    json_response,
    page,
    raw_response,
    render_schema,
    render_schema_string,
)
from registry.java_strings import java_hash_set_order
from registry.routes import in_format, services, text_in_format
from registry.schema_types import SUPPORTED_TYPES

blueprint = Blueprint("schemas", __name__)


@blueprint.get("/schemas/types")
def schema_types() -> Response:
    """GET /schemas/types: in Confluent's order, its providers' HashMap's
    (`["JSON","PROTOBUF","AVRO"]`)."""
    return json_response(java_hash_set_order(SUPPORTED_TYPES))


@blueprint.get("/schemas")
def list_schemas() -> Response:
    """GET /schemas (subjectPrefix, deleted, latestOnly)."""
    found = services().registry.list_schemas(
        prefix=request.args.get("subjectPrefix"),
        deleted=flag("deleted"),
        latest_only=flag("latestOnly"),
    )
    return json_response(page([render_schema(item) for item in found]))


@blueprint.get("/schemas/ids/<java_int:schema_id>")
def schema_by_id(schema_id: int) -> Response:
    """GET /schemas/ids/{id} (subject, format): with a subject hint, that subject's version
    if it holds the id, else any's, as Confluent answers."""
    registry = services().registry
    schema = registry.schema_by_id(schema_id)
    subject = request.args.get("subject") or None
    holder = registry.holder_of(schema_id, subject)
    body = render_schema_string(schema, holder, with_subject=subject is not None)
    return json_response(in_format(body, schema))


@blueprint.get("/schemas/guids/<segment:guid>")
def schema_by_guid(guid: str) -> Response:
    """GET /schemas/guids/{guid} (format): the schema a record's GUID header names."""
    schema, holder = services().registry.schema_by_guid(guid)
    return json_response(
        in_format(render_schema_string(schema, holder, with_subject=False), schema)
    )


@blueprint.get("/schemas/guids/<segment:guid>/ids")
def ids_of_guid(guid: str) -> Response:
    """GET /schemas/guids/{guid}/ids: [{"context": ".", "id": N}]; [] for an unknown GUID."""
    ids = services().registry.ids_of_guid(guid)
    return json_response([{"context": ".", "id": schema_id} for schema_id in ids])


@blueprint.get("/schemas/ids/<java_int:schema_id>/schema")
def schema_text_by_id(schema_id: int) -> Response:
    """GET /schemas/ids/{id}/schema: the schema text alone."""
    return raw_response(text_in_format(services().registry.schema_by_id(schema_id)))


@blueprint.get("/schemas/ids/<java_int:schema_id>/subjects")
def subjects_of_schema(schema_id: int) -> Response:
    """GET /schemas/ids/{id}/subjects (deleted)."""
    versions = services().registry.versions_of_schema(schema_id, deleted=flag("deleted"))
    subjects = sorted({version.subject for version in versions})
    return json_response(page(subjects))


@blueprint.get("/schemas/ids/<java_int:schema_id>/versions")
def versions_of_schema(schema_id: int) -> Response:
    """GET /schemas/ids/{id}/versions (deleted): [{subject, version}, …]."""
    versions = services().registry.versions_of_schema(schema_id, deleted=flag("deleted"))
    return json_response(
        page([{"subject": version.subject, "version": version.version} for version in versions])
    )
