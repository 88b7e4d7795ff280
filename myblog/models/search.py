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
    "document TSVECTOR NOT NULL, plain TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_post_search_document ON post_search USING gin (document)",
)
POSTGRES_DROP = ("DROP TABLE IF EXISTS post_search",)


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
