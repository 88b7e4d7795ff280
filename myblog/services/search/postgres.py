"""The PostgreSQL back end: a tsvector per post, written as a literal of our own tokens (so the
server's parser and locale cut nothing), a GIN index, and ts_rank with the title in weight A,
the tags in B and the body in C."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Select, bindparam, cast, column, func, select, table, text
from sqlalchemy.dialects.postgresql import TSQUERY

from myblog.services.search.documents import Document
from myblog.services.search.text import Query

MAX_POSITION = 16383  # tsvector positions stop here
MAX_POSITIONS = 256  # positions a lexeme keeps

_index = table("post_search", column("post_id"), column("document"), column("plain"))


def _quoted(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_text(document: Document) -> str:
    """The document as tsvector input: each token with its positions and its field's weight;
    a gap between fields so that no phrase runs from one into the next."""
    positions: dict[str, list[str]] = {}
    position = 0
    for tokens, weight in ((document.title, "A"), (document.tags, "B"), (document.body, "C")):
        for token in tokens:
            position += 1
            found = positions.setdefault(token, [])
            if len(found) < MAX_POSITIONS and position <= MAX_POSITION:
                found.append(f"{position}{weight}")
        position += 1
    return " ".join(
        f"{_quoted(token)}:{','.join(found)}" if found else _quoted(token)
        for token, found in positions.items()
    )


def tsquery_text(query: Query) -> str:
    """The query as tsquery input: every term must match; a phrase's tokens adjacent."""
    parts = []
    for term in query.terms:
        tokens = [_quoted(t) for t in term.tokens]
        if term.prefix:
            tokens[-1] += ":*"
        parts.append("(" + " <-> ".join(tokens) + ")")
    return " & ".join(parts)


def write(connection: Connection, documents: Sequence[Document]) -> None:
    """Insert or replace the index rows of these posts."""
    if not documents:
        return
    connection.execute(
        text(
            "INSERT INTO post_search (post_id, document, plain) "
            "VALUES (:id, CAST(:document AS tsvector), :plain) "
            "ON CONFLICT (post_id) DO UPDATE "
            "SET document = excluded.document, plain = excluded.plain"
        ),
        [{"id": d.post_id, "document": tsvector_text(d), "plain": d.plain} for d in documents],
    )


def delete(connection: Connection, post_ids: Sequence[int]) -> None:
    """Remove the index rows of these posts."""
    if post_ids:
        connection.execute(
            text("DELETE FROM post_search WHERE post_id = :id"), [{"id": i} for i in post_ids]
        )


def clear(connection: Connection) -> None:
    """Empty the index."""
    connection.execute(text("DELETE FROM post_search"))


def _matches(value: Any) -> Any:
    return _index.c.document.op("@@")(cast(value, TSQUERY))


def matching_ids(query: Query) -> Select[tuple[Any]]:
    """SELECT the ids of the posts matching the query, whatever their status."""
    return select(_index.c.post_id).where(_matches(bindparam("match", tsquery_text(query))))


def params(query: Query) -> dict[str, Any]:
    """The bound values `ranked` needs for this query."""
    return {"match": tsquery_text(query)}


def hits() -> Select[Any]:
    """SELECT `post_id` and `rank` (smaller is better) of the posts matching `:match`."""
    rank = func.ts_rank(_index.c.document, cast(bindparam("match"), TSQUERY))
    return select(_index.c.post_id.label("post_id"), (-rank).label("rank")).where(
        _matches(bindparam("match"))
    )


def plain_text(post_id: Any) -> Any:
    """The indexed plain text of the post `post_id` (a correlated scalar subquery)."""
    return select(_index.c.plain).where(_index.c.post_id == post_id).scalar_subquery()
