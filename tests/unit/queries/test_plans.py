"""Listings read newest-first straight off an index: no sort over every post, whatever the size.

SQLite's query plan is deterministic for a given schema, so this guards the "constant work per
request" property without timing anything.
"""

from datetime import UTC, datetime

import pytest
from pg_support import ON_POSTGRES
from sqlalchemy import event

from myblog.extensions import db
from myblog.queries import listings, post_page

# PostgreSQL's planner picks by table statistics (a seq scan on a few rows), so its plans say
# nothing about the index walk; the integration tests cover its query counts
pytestmark = pytest.mark.skipif(
    ON_POSTGRES, reason="SQLite's EXPLAIN QUERY PLAN (MYBLOG_TEST_DATABASE=postgres)"
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def plan(statement, params) -> str:
    """SQLite's plan for the statement as it really runs (SQL and parameters as sent)."""
    sent: list[tuple[str, object]] = []

    def capture(conn, cursor, sql, parameters, context, executemany):
        sent.append((sql, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        db.session.connection().execute(statement, params).all()
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    sql, parameters = sent[-1]
    rows = db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters)
    return "\n".join(row[-1] for row in rows)


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("all", {}),
        ("category", {"key": 1}),
        ("author", {"key": 1}),
        ("month", {"start": NOW, "end": NOW}),
    ],
)
def test_listing_walks_an_index_without_sorting(ctx, kind, params):
    steps = plan(listings._listing(kind), {"now": NOW, "limit": 11, "offset": 0, **params})
    assert "TEMP B-TREE" not in steps, steps
    assert "USING INDEX ix_posts_" in steps, steps
    # each card's tags come from the post_tags key, not from a scan
    assert "post_tags USING COVERING INDEX" in steps and "SCAN" not in steps, steps


def test_the_post_page_reads_its_post_and_tags_by_index(ctx):
    steps = plan(post_page._post_view_statement(), {"slug": "any"})
    assert "posts USING INDEX ix_posts_slug" in steps, steps
    assert "post_tags USING COVERING INDEX" in steps and "SCAN" not in steps, steps


@pytest.mark.parametrize("older", [True, False])
def test_previous_and_next_links_walk_an_index(ctx, older):
    steps = plan(post_page._neighbour_statement(older), {"now": NOW, "at": NOW, "id": 5})
    assert "TEMP B-TREE" not in steps, steps
    assert "ix_posts_published_at_id" in steps, steps


def test_both_neighbours_come_in_one_statement_each_half_on_the_index(ctx):
    steps = plan(post_page._neighbours_statement(), {"now": NOW, "at": NOW, "id": 5})
    assert "TEMP B-TREE" not in steps, steps
    assert steps.count("posts USING INDEX ix_posts_published_at_id") == 2, steps
    assert "SCAN posts" not in steps, steps
