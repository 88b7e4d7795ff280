"""Listings read newest-first straight off an index: no sort over every post, whatever the size.

SQLite's query plan is deterministic for a given schema, so this guards the "constant work per
request" property without timing anything.
"""

from datetime import UTC, datetime

import pytest

from myblog.extensions import db
from myblog.services import posts

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def plan(statement, params) -> str:
    compiled = statement.compile(db.engine)
    values = {**compiled.params, **params}
    positional = tuple(str(values[name]) for name in compiled.positiontup)
    rows = db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", positional)
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
    statement = posts._listing(kind).limit(11).offset(0)
    steps = plan(statement, {"now": NOW, **params})
    assert "TEMP B-TREE" not in steps, steps
    assert "USING INDEX ix_posts_" in steps, steps


@pytest.mark.parametrize("older", [True, False])
def test_previous_and_next_links_walk_an_index(ctx, older):
    steps = plan(posts._neighbour_statement(older), {"now": NOW, "at": NOW, "id": 5})
    assert "TEMP B-TREE" not in steps, steps
    assert "ix_posts_published_at_id" in steps, steps
