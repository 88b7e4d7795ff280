"""The SQLite back end: an FTS5 table (`myblog/models/search.py`), ranked by bm25 with the
title and the tags weighing more than the body."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    bindparam,
    column,
    func,
    literal_column,
    select,
    table,
    text,
    union_all,
)

from myblog.services.search.documents import Document
from myblog.services.search.text import Query

# bm25 weights of the columns title, tags, body (plain is not indexed)
WEIGHTS = (10.0, 4.0, 1.0)

_index = table("post_search", column("rowid"), column("plain"))
_match = literal_column("post_search").op("MATCH")


def match_text(query: Query, *, heading: bool = False) -> str:
    """The FTS5 query of the terms: each a quoted string of our own tokens (which hold no
    quote), a `*` for a prefix; all must match (with `heading`, in the title or the tags)."""
    parts = []
    for term in query.terms:
        part = '"' + " ".join(term.tokens) + '"'
        parts.append(part + "*" if term.prefix else part)
    expression = " ".join(parts)
    return f"{{title tags}} : ({expression})" if heading else expression


def write(connection: Connection, documents: Sequence[Document]) -> None:
    """Replace the index rows of these posts."""
    if not documents:
        return
    delete(connection, [d.post_id for d in documents])
    connection.execute(
        text(
            "INSERT INTO post_search (rowid, title, tags, body, plain) "
            "VALUES (:id, :title, :tags, :body, :plain)"
        ),
        [
            {
                "id": d.post_id,
                "title": " ".join(d.title),
                "tags": " ".join(d.tags),
                "body": " ".join(d.body),
                "plain": d.plain,
            }
            for d in documents
        ],
    )


def delete(connection: Connection, post_ids: Sequence[int]) -> None:
    """Remove the index rows of these posts."""
    if post_ids:
        connection.execute(
            text("DELETE FROM post_search WHERE rowid = :id"), [{"id": i} for i in post_ids]
        )


def clear(connection: Connection) -> None:
    """Empty the index."""
    connection.execute(text("DELETE FROM post_search"))


def settle(connection: Connection) -> None:
    """Nothing to do after a bulk write (FTS5 merges its segments as it goes)."""


def matching_ids(query: Query) -> Select[tuple[Any]]:
    """SELECT the ids of the posts matching the query, whatever their status."""
    return select(_index.c.rowid).where(_match(bindparam("match", match_text(query))))


def params(query: Query) -> dict[str, Any]:
    """The bound values `hits` and `match_count` need for this query."""
    return {"match": match_text(query), "heading_match": match_text(query, heading=True)}


def _newest(match: str) -> Select[Any]:
    # FTS5 walks the matches by rowid, newest first, and ranks only those it returns
    rank = func.bm25(literal_column("post_search"), *WEIGHTS)
    query = select(_index.c.rowid.label("post_id"), rank.label("rank"))
    return query.where(_match(bindparam(match))).order_by(_index.c.rowid.desc())


def hits() -> Select[Any]:
    """SELECT `post_id` and `rank` (smaller is better) of the candidates: the newest
    `:candidates` posts matching `:match` and the newest matching it in the title or tags."""
    newest = _newest("match").limit(bindparam("candidates")).subquery("newest")
    headed = _newest("heading_match").limit(bindparam("candidates")).subquery("headed")
    both = union_all(select(newest), select(headed)).subquery("candidates")
    return select(both.c.post_id, func.min(both.c.rank).label("rank")).group_by(both.c.post_id)


def match_count() -> Any:
    """How many posts match `:match`, counted up to `:counted` (a scalar subquery)."""
    matching = select(_index.c.rowid).where(_match(bindparam("match")))
    return (
        select(func.count())
        .select_from(matching.limit(bindparam("counted")).subquery("counted"))
        .scalar_subquery()
    )


def plain_text(post_id: Any) -> Any:
    """The indexed plain text of the post `post_id` (a correlated scalar subquery)."""
    return select(_index.c.plain).where(_index.c.rowid == post_id).scalar_subquery()
