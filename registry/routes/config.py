"""/config and /mode, registry-wide and per subject."""

from __future__ import annotations

from flask import Blueprint, Response

from registry.http import flag, json_body, json_response
from registry.routes import services

blueprint = Blueprint("config", __name__)


@blueprint.get("/config")
@blueprint.get("/config/<subject:subject>")
def get_config(subject: str | None = None) -> Response:
    """GET /config[/{subject}] (defaultToGlobal)."""
    return json_response(
        services().config.get_config(subject, default_to_global=flag("defaultToGlobal"))
    )


@blueprint.put("/config")
@blueprint.put("/config/<subject:subject>")
def put_config(subject: str | None = None) -> Response:
    """PUT /config[/{subject}]: {"compatibility": LEVEL, …}."""
    return json_response(services().config.put_config(subject, json_body()))


@blueprint.delete("/config")
@blueprint.delete("/config/<subject:subject>")
def delete_config(subject: str | None = None) -> Response:
    """DELETE /config[/{subject}]: back to the registry's (or server's) level."""
    return json_response(services().config.delete_config(subject))


@blueprint.get("/mode")
@blueprint.get("/mode/<subject:subject>")
def get_mode(subject: str | None = None) -> Response:
    """GET /mode[/{subject}] (defaultToGlobal)."""
    return json_response(
        services().config.get_mode(subject, default_to_global=flag("defaultToGlobal"))
    )


@blueprint.put("/mode")
@blueprint.put("/mode/<subject:subject>")
def put_mode(subject: str | None = None) -> Response:
    """PUT /mode[/{subject}] (force): {"mode": READWRITE | READONLY | IMPORT}."""
    return json_response(services().config.put_mode(subject, json_body(), force=flag("force")))


@blueprint.delete("/mode")
@blueprint.delete("/mode/<subject:subject>")
def delete_mode(subject: str | None = None) -> Response:
    """DELETE /mode[/{subject}]."""
    return json_response(services().config.delete_mode(subject))
