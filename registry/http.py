"""HTTP plumbing shared by the routes: media types, query flags, JSON in and out."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from flask import Response, request

from registry.errors import BadRequestError, MalformedRequestError
from registry.model import (
    LATEST,
    MAX_INT,
    RegisteredVersion,
    SchemaRequest,
    StoredSchema,
    SubjectVersion,
    parse_version,
)
from registry.negotiation import PRODUCED, choose
from registry.schema import SchemaReference

SCHEMA_REGISTRY_V1 = PRODUCED[0][0]
RESPONSE_TYPES = tuple(media_type for media_type, _ in PRODUCED)
# Confluent also takes octet-stream (Jersey's type for a body without Content-Type).
REQUEST_TYPES = (*RESPONSE_TYPES, "application/octet-stream")


T = TypeVar("T")


def flag(name: str) -> bool:
    """A boolean query parameter; Confluent reads "true" in any case as true, all else false."""
    return request.args.get(name, "false").strip().lower() == "true"


def page(items: list[T]) -> list[T]:
    """offset/limit as Confluent reads them (limit -1: everything)."""
    offset = max(_int_arg("offset", 0), 0)
    limit = _int_arg("limit", -1)
    return items[offset:] if limit < 0 else items[offset : offset + limit]


def _int_arg(name: str, default: int) -> int:
    try:
        return int(request.args.get(name, default))
    except ValueError:
        return default


def json_response(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype=negotiated_type())


def raw_response(text: str) -> Response:
    return Response(text, status=200, mimetype=negotiated_type())


def negotiated_type() -> str:
    """The type the response is sent as; an unacceptable Accept was refused before routing."""
    return choose(request.headers.get("Accept")) or SCHEMA_REGISTRY_V1


def json_body() -> Any:
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise BadRequestError("Request body is empty")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequestError(f"Unrecognized JSON in the request body: {error}") from None
    try:
        # "\ud800" is valid JSON but no text a database (or UTF-8) can hold.
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequestError("The request body holds an unpaired surrogate (\\ud800…)") from None
    return body


def schema_request() -> SchemaRequest:
    """The register/lookup/compatibility body; anything malformed is an invalid schema (42201)."""
    body = json_body()
    if not isinstance(body, dict):
        raise MalformedRequestError("The request body must be a JSON object with a schema")
    schema = body.get("schema")
    if schema is not None and not isinstance(schema, str):
        raise MalformedRequestError("The schema must be a string holding the schema's JSON")
    schema_type = body.get("schemaType") or "AVRO"
    if not isinstance(schema_type, str):
        raise MalformedRequestError("schemaType must be a string")
    return SchemaRequest(
        schema=schema,
        schema_type=schema_type,
        references=_references(body.get("references")),
        metadata=_object_or_none(body, "metadata"),
        rule_set=_object_or_none(body, "ruleSet"),
        version=_int_or_none(body, "version"),
        id=_int_or_none(body, "id"),
    )


def _references(raw: object) -> tuple[SchemaReference, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise MalformedRequestError("references must be a list")
    references = []
    for item in raw:
        if not isinstance(item, dict):
            raise MalformedRequestError("each reference must be an object")
        name, subject, version = item.get("name"), item.get("subject"), item.get("version")
        if not isinstance(name, str) or not isinstance(subject, str):
            raise MalformedRequestError("a reference needs a name and a subject")
        if "\x00" in name or "\x00" in subject:
            raise MalformedRequestError("a reference's name and subject cannot hold NUL")
        if isinstance(version, bool) or not isinstance(version, int | str):
            raise MalformedRequestError("a reference needs a version")
        references.append(
            SchemaReference(name=name, subject=subject, version=parse_version(str(version)))
        )
    return tuple(references)


def _object_or_none(body: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise MalformedRequestError(f"{key} must be a JSON object")
    return value


def _int_or_none(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedRequestError(f"{key} must be an integer")
    if not 0 < value <= MAX_INT and not (key == "version" and value == LATEST):
        raise MalformedRequestError(f"{key} must be between 1 and {MAX_INT}")
    return value


# Confluent 8 writes each entity's keys in the order Jackson takes from its class (creator
# parameters, then fields), leaving out empty values; `docs/registry-api.md` §2.6 names the
# class each order was read from. A register or lookup answer that was not read from a
# stored version has no `ts` and `deleted`, as there.


def render_registered(found: RegisteredVersion) -> dict[str, Any]:
    """POST /subjects/{s}/versions: Confluent's RegisterSchemaResponse."""
    schema = found.schema
    body: dict[str, Any] = {"id": schema.id, "version": found.version, "guid": schema.guid}
    body["schemaType"] = schema.schema_type
    body.update(_references_and_metadata(schema))
    body.update(_rule_set(schema))
    body["schema"] = schema.text
    body.update(_stored_state(found.ts, found.deleted))
    return body


def render_schema(found: RegisteredVersion) -> dict[str, Any]:
    """Confluent's Schema entity: lookup, a subject's version, and each item of /schemas."""
    schema = found.schema
    body: dict[str, Any] = {
        "subject": found.subject,
        "version": found.version,
        "id": schema.id,
        "guid": schema.guid,
        "schemaType": schema.schema_type,
    }
    body.update(_references_and_metadata(schema))
    body["schema"] = schema.text
    body.update(_stored_state(found.ts, found.deleted))
    # Last: Confluent's creator calls this parameter "ruleset", so Jackson writes it after
    # every creator property.
    body.update(_rule_set(schema))
    return body


def render_schema_string(
    schema: StoredSchema, holder: SubjectVersion | None, *, with_subject: bool
) -> dict[str, Any]:
    """GET /schemas/ids/{id} and /schemas/guids/{guid}: Confluent's SchemaString."""
    body: dict[str, Any] = {}
    if with_subject and holder is not None:
        body.update(subject=holder.subject, version=holder.version)
    body.update(guid=schema.guid, schemaType=schema.schema_type, schema=schema.text)
    body.update(_references_and_metadata(schema))
    body.update(_rule_set(schema))
    if holder is not None:
        body.update(_stored_state(holder.ts, holder.deleted))
    return body


def _references_and_metadata(schema: StoredSchema) -> dict[str, Any]:
    extras: dict[str, Any] = {}
    if schema.references:
        extras["references"] = [reference.to_json() for reference in schema.references]
    if schema.metadata:
        extras["metadata"] = schema.metadata
    return extras


def _rule_set(schema: StoredSchema) -> dict[str, Any]:
    return {"ruleSet": schema.rule_set} if schema.rule_set else {}


def _stored_state(ts: int | None, deleted: bool) -> dict[str, Any]:
    return {} if ts is None else {"ts": ts, "deleted": deleted}
