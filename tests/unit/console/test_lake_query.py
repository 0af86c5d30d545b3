"""The SQL box: one SELECT over `events`, rows and time capped, nothing else reachable."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pytest

from console.lake_query import (
    QueryLimits,
    QueryRefusedError,
    QueryResult,
    QuerySandbox,
    QueryTimedOutError,
)

EVENTS = pa.table(
    {
        "user_id": pa.array(range(10), pa.int64()),
        "country_code": pa.array(["BE", "NL"] * 5),
        "referrer": pa.array([None, "ad"] * 5),
    }
)
LIMITS = QueryLimits(max_rows=4, timeout_seconds=5.0, memory_mb=64)
SANDBOX = QuerySandbox(LIMITS)


def run_query(sql: str, events: pa.Table, limits: QueryLimits = LIMITS) -> QueryResult:
    sandbox = SANDBOX if limits is LIMITS else QuerySandbox(limits)
    return sandbox.run(sql, events)


def test_a_select_returns_its_rows_as_text_with_nulls_kept() -> None:
    result = run_query(
        "select user_id, referrer from events order by user_id -- newest last", EVENTS, LIMITS
    )
    assert result.columns == ["user_id", "referrer"]
    assert result.rows == [["0", None], ["1", "ad"], ["2", None], ["3", "ad"]]
    assert result.truncated is True


def test_a_result_within_the_cap_is_whole_and_describe_counts_as_a_select() -> None:
    result = run_query(
        "select country_code, count(*) n from events group by 1 order by 1;", EVENTS, LIMITS
    )
    assert (result.rows, result.truncated) == ([["BE", "5"], ["NL", "5"]], False)
    described = run_query("describe events", EVENTS, LIMITS)
    assert [row[0] for row in described.rows] == ["user_id", "country_code", "referrer"]


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("copy (select * from events) to 'out.csv'", "Only SELECT is run here, not COPY"),
        ("attach 'other.db'", "not ATTACH"),
        ("create table kept as select * from events", "not CREATE"),
        ("install httpfs", "not LOAD"),
        ("set enable_external_access = true", "not SET"),
        ("select 1; select 2", "one SELECT statement"),
        ("select from where", "Parser Error"),
        ("select nothing_here from events", "Binder Error"),
    ],
)
def test_anything_but_one_select_is_refused_with_the_reason(sql: str, reason: str) -> None:
    with pytest.raises(QueryRefusedError, match=reason):
        run_query(sql, EVENTS, LIMITS)


def test_a_select_reaches_no_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n")
    out = tmp_path / "out.csv"
    paths = (f"read_csv('{secret}')", f"read_text('{secret}')")
    copy = f"query('copy (select 1) to ''{out}''')"
    for source in (*paths, copy):
        with pytest.raises(QueryRefusedError):
            run_query("select * from " + source, EVENTS, LIMITS)  # noqa: S608 - the test
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.csv"]


def test_a_query_running_past_its_time_is_stopped() -> None:
    quick = QueryLimits(max_rows=4, timeout_seconds=0.3, memory_mb=64)
    with pytest.raises(QueryTimedOutError, match=r"Stopped after 0\.3 s"):
        run_query("select count(*) from range(1000000000000)", EVENTS, quick)


def test_queries_side_by_side_each_see_their_own_events() -> None:
    tables = {n: pa.table({"user_id": pa.array(range(n), pa.int64())}) for n in (1, 2, 3, 10)}

    def count(n: int) -> tuple[int, list[list[str | None]]]:
        return n, SANDBOX.run("select count(*) from events", tables[n]).rows

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(count, [1, 2, 3, 10] * 10))
    assert all(rows == [[str(n)]] for n, rows in results)


def test_an_overlong_query_is_refused_before_parsing() -> None:
    with pytest.raises(QueryRefusedError, match="characters at most"):
        run_query("select 1 " + "-" * 20_000, EVENTS, LIMITS)
