"""Lake: files and rows per day, the table's snapshots, and a read-only SQL box over the
`events` view (personal columns left out; rows, time and memory capped)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from console.lake_query import QueryRefusedError, QueryResult, QueryTimedOutError
from console.lake_reader import LakeUnavailableError
from console.routes import services
from consumer.query import DEFAULT_SQL, LakeQueryError

blueprint = Blueprint("lake", __name__, url_prefix="/lake")
Page = tuple[str, int]


@blueprint.get("")
def index() -> str:
    return _page(DEFAULT_SQL.strip(), None, None)


@blueprint.post("/query")
def query() -> Page:
    """Runs the SQL; the query's text is never logged (it may name anyone)."""
    sql = request.form.get("sql", "").strip()
    if not sql:
        return _page("", None, "Write a SELECT over the events view."), 400
    console = services()
    try:
        result = console.queries.run(sql, console.lake.events())
    except LakeQueryError as nothing:
        return _page(sql, None, str(nothing)), 409
    except (QueryRefusedError, QueryTimedOutError, LakeUnavailableError) as refused:
        return _page(sql, None, refused.message), refused.status
    return _page(sql, result, None), 200


def _page(sql: str, result: QueryResult | None, problem: str | None) -> str:
    console = services()
    return render_template(
        "lake/index.html",
        summary=console.lake.summary(),
        hidden=sorted(console.lake.hidden or ()),
        sql=sql,
        result=result,
        problem=problem,
        max_rows=console.settings.query_max_rows,
        timeout_seconds=console.settings.query_timeout_seconds,
    )
