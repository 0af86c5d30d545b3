"""Flow: the outbox, the relay, the topic's partitions with the lake writer's lag, and the
lake's commits, with the last minutes charted; the figures refresh themselves (htmx) and
read whole without JavaScript."""

from __future__ import annotations

from flask import Blueprint, render_template

from console.routes import services

blueprint = Blueprint("flow", __name__, url_prefix="/flow")
# Samples the page lists as a table, newest first, beside the charts.
RECENT_SAMPLES = 10


@blueprint.get("")
def index() -> str:
    return _render("flow/index.html")


@blueprint.get("/figures")
def figures() -> str:
    """The figures alone, for the page to swap in."""
    return _render("flow/figures.html")


def _render(template: str) -> str:
    console = services()
    flow = console.history.read()
    return render_template(
        template,
        flow=flow,
        series=console.history.series(),
        recent=console.history.samples()[-RECENT_SAMPLES:][::-1],
        refresh_seconds=console.settings.refresh_seconds,
    )
