"""Flow: the outbox, the relay, the topic's partitions with the lake writer's lag, and the
lake's commits; the figures refresh themselves (htmx) and read whole without JavaScript."""

from __future__ import annotations

from flask import Blueprint, render_template

from console.routes import services

blueprint = Blueprint("flow", __name__, url_prefix="/flow")


@blueprint.get("")
def index() -> str:
    console = services()
    return render_template(
        "flow/index.html",
        flow=console.flow.read(),
        refresh_seconds=console.settings.refresh_seconds,
    )


@blueprint.get("/figures")
def figures() -> str:
    """The figures alone, for the page to swap in."""
    console = services()
    return render_template(
        "flow/figures.html",
        flow=console.flow.read(),
        refresh_seconds=console.settings.refresh_seconds,
    )
