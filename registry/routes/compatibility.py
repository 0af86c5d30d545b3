"""/compatibility: would this schema be accepted under the subject's level?"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from registry.errors import InvalidSchemaError
from registry.http import flag, json_response, schema_request
from registry.model import parse_version
from registry.routes import services

blueprint = Blueprint("compatibility", __name__)


@blueprint.post("/compatibility/subjects/<subject:subject>/versions")
def against_all(subject: str) -> Response:
    """POST /compatibility/subjects/{subject}/versions (normalize, verbose)."""
    return _test(subject, None)


@blueprint.post("/compatibility/subjects/<subject:subject>/versions/<segment:version>")
def against_one(subject: str, version: str) -> Response:
    """POST /compatibility/subjects/{subject}/versions/{version} (normalize, verbose)."""
    return _test(subject, parse_version(version))


def _test(subject: str, version: int | None) -> Response:
    verbose = flag("verbose")
    try:
        result = services().registry.test_compatibility(
            subject, version, schema_request(), normalize=flag("normalize")
        )
    except InvalidSchemaError as error:
        if not verbose:
            raise
        return json_response({"is_compatible": False, "messages": [error.message]})
    body: dict[str, Any] = {"is_compatible": result.is_compatible}
    if verbose:
        body["messages"] = result.messages()
    return json_response(body)
