"""/, /contexts, and the routes newer clients probe before falling back."""

from __future__ import annotations

from flask import Blueprint, Response

from registry.errors import AssociationNotFoundError
from registry.http import json_response

blueprint = Blueprint("root", __name__)


@blueprint.get("/")
@blueprint.post("/")
def root() -> Response:
    """GET / : an empty object, as Confluent answers (a liveness probe)."""
    return json_response({})


@blueprint.get("/contexts")
def contexts() -> Response:
    """GET /contexts: only the default context exists here."""
    return json_response(["."])


@blueprint.route("/associations", methods=["GET", "POST", "PUT", "DELETE"])
@blueprint.route("/associations/<rest:rest>", methods=["GET", "POST", "PUT", "DELETE"])
def associations(rest: str = "") -> Response:
    """Schema associations are not kept; confluent_kafka ≥ 2.14 treats 404 as "use the topic
    name strategy", so this answer lets its default serializers work unchanged."""
    raise AssociationNotFoundError(rest.rsplit("/", 1)[-1])
