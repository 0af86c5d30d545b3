"""Dead letters: the dead-letter topic's records, newest first, a page at a time; never a
key or a value, only why, where from, the writer schema named and the size."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from console.errors import BadRequestError
from console.routes import services

blueprint = Blueprint("dead_letters", __name__, url_prefix="/dead-letters")


@blueprint.get("")
def index() -> str:
    number = request.args.get("page", "1")
    if not number.isdigit() or int(number) < 1:
        raise BadRequestError(f"'page' must be a page number from 1, not {number!r}")
    return render_template(
        "dead_letters/index.html", page=services().dead_letters.page(int(number))
    )
