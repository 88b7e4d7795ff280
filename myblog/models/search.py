"""The search index: one row per post, kept outside the ORM's tables because its shape is each
database's own (an FTS5 table on SQLite, a tsvector column with a GIN index on PostgreSQL).

`create_all` and `drop_all` build and drop it with the other tables (listeners below); the
migration 0013 writes the same statements. Each row holds the post's tokens (cut by
`myblog/services/search/text.py`, never by the database) and its plain text for snippets.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, event

from myblog.extensions import db

TABLE = "post_search"

SQLITE_CREATE = (
    # `ascii`: tokens arrive cut and folded, separated by spaces; every non-ASCII character is
    # part of a token, so the database cuts nothing differently. `plain` is only stored.
    "CREATE VIRTUAL TABLE IF NOT EXISTS post_search USING fts5("
    "title, tags, body, plain UNINDEXED, tokenize = 'ascii')",
    # a post deleted any way (by id, with its author) leaves no row behind
    "CREATE TRIGGER IF NOT EXISTS post_search_after_delete AFTER DELETE ON posts BEGIN "
    "DELETE FROM post_search WHERE rowid = old.id; END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS post_search_after_delete",
    "DROP TABLE IF EXISTS post_search",
)
POSTGRES_CREATE = (
    "CREATE TABLE IF NOT EXISTS post_search ("
    "post_id INTEGER PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE, "
    "heading TSVECTOR NOT NULL, document TSVECTOR NOT NULL)",
    # the plain text apart: the vectors' table stays narrow, so a GIN bitmap over tens of
    # thousands of matches reads a few megabytes of heap, not every post's text
    "CREATE TABLE IF NOT EXISTS post_search_text ("
    "post_id INTEGER PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE, plain TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_post_search_document ON post_search USING gin (document)",
    # title and tags apart: small, so matching "in the title or tags" reads no whole post
    "CREATE INDEX IF NOT EXISTS ix_post_search_heading ON post_search USING gin (heading)",
    # The newest `n` posts whose document (or heading) matches, newest first. The planner
    # prices `@@` as if it were free, but each row it checks outside the GIN index reads a
    # whole toasted vector: so no sequential or plain index scans, only bitmaps, and
    # `cpu_operator_cost` 100 times the default, so that a plan filtering a window's rows by
    # `@@` (a bitmap on the primary key alone) is only taken where it is cheap. The search
    # runs over a window of the newest ids, 4n wide (one step for a word in a quarter of the
    # posts), that grows, if it holds fewer than n matches, by what the matches found so far
    # say is missing and half as much again (at least doubling, at most sixteenfold): each
    # step costs a scan of the GIN index, so a rare word takes two or three, not six. Each
    # step reads only the ids it adds, and the matches are kept, so no row is read twice.
    # EXECUTE plans each statement for its own values. `top` is the newest post's id, which
    # the caller reads by index (here, with index scans off, it would scan).
    "CREATE OR REPLACE FUNCTION post_search_newest("
    "query tsquery, heading boolean, n integer, top integer) "
    "RETURNS SETOF integer LANGUAGE plpgsql STABLE SET enable_seqscan = off "
    "SET enable_indexscan = off SET cpu_operator_cost = 0.25 ROWS 100 AS $$ "
    "DECLARE span bigint := greatest(n, 1) * 4; high bigint := top; low bigint; "
    "found integer[] := '{}'; more integer[]; had integer; "
    "matching text := CASE WHEN heading THEN 'heading @@ $1' ELSE 'document @@ $1' END; "
    "BEGIN IF top IS NULL OR n < 1 THEN RETURN; END IF; "
    "LOOP low := top - span; "
    "EXECUTE 'SELECT array_agg(post_id ORDER BY post_id DESC) FROM post_search WHERE ' "
    "|| matching || ' AND post_id > $2 AND post_id <= $3' INTO more USING query, low, high; "
    "found := found || coalesce(more, '{}'); had := cardinality(found); "
    "EXIT WHEN had >= n OR low <= 0; high := low; "
    "span := span + least(span * 15, "
    "greatest(span, span * (n - had) * 3 / (2 * greatest(had, 1)))); "
    "END LOOP; RETURN QUERY SELECT unnest(found[1:n]); END $$",
)
POSTGRES_DROP = (
    "DROP FUNCTION IF EXISTS post_search_newest(tsquery, boolean, integer, integer)",
    "DROP TABLE IF EXISTS post_search_text",
    "DROP TABLE IF EXISTS post_search",
)


def is_search_table(name: str | None) -> bool:
    """True for the index's table and SQLite's shadow tables of it (`post_search_data`…)."""
    return name is not None and (name == TABLE or name.startswith(f"{TABLE}_"))


def _run(connection: Connection, sqlite: tuple[str, ...], postgres: tuple[str, ...]) -> None:
    statements = sqlite if connection.dialect.name == "sqlite" else postgres
    for sql in statements:
        connection.exec_driver_sql(sql)


def create_index_tables(connection: Connection) -> None:
    """Create the search index's table (and trigger) for this connection's database."""
    _run(connection, SQLITE_CREATE, POSTGRES_CREATE)


def drop_index_tables(connection: Connection) -> None:
    """Drop the search index's table, if it is there."""
    _run(connection, SQLITE_DROP, POSTGRES_DROP)


@event.listens_for(db.metadata, "after_create")
def _after_create(target: Any, connection: Connection, **kw: Any) -> None:
    create_index_tables(connection)


@event.listens_for(db.metadata, "before_drop")
def _before_drop(target: Any, connection: Connection, **kw: Any) -> None:
    drop_index_tables(connection)
