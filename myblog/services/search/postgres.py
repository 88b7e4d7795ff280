"""The PostgreSQL back end: a tsvector per post, written as a literal of our own tokens (so the
server's parser and locale cut nothing), a GIN index, and ts_rank with the title in weight A,
the tags in B and the body in C."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    bindparam,
    cast,
    column,
    func,
    select,
    table,
    text,
    union,
)
from sqlalchemy.dialects.postgresql import TSQUERY

from myblog.services.search.documents import Document
from myblog.services.search.text import Query

MAX_POSITION = 16383  # tsvector positions stop here
MAX_POSITIONS = 256  # positions a lexeme keeps

_index = table("post_search", column("post_id"), column("heading"), column("document"))
_texts = table("post_search_text", column("post_id"), column("plain"))
_posts = table("posts", column("id"))


def _quoted(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_text(document: Document, *, heading: bool = False) -> str:
    """The document as tsvector input: each token with its positions and its field's weight;
    a gap between fields so that no phrase runs from one into the next. With `heading`, only
    the title and the tags (the same positions)."""
    positions: dict[str, list[str]] = {}
    position = 0
    fields = [(document.title, "A"), (document.tags, "B")]
    if not heading:
        fields.append((document.body, "C"))
    for tokens, weight in fields:
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
            "INSERT INTO post_search (post_id, heading, document) "
            "VALUES (:id, CAST(:heading AS tsvector), CAST(:document AS tsvector)) "
            "ON CONFLICT (post_id) DO UPDATE "
            "SET heading = excluded.heading, document = excluded.document"
        ),
        [
            {
                "id": d.post_id,
                "heading": tsvector_text(d, heading=True),
                "document": tsvector_text(d),
            }
            for d in documents
        ],
    )
    connection.execute(
        text(
            "INSERT INTO post_search_text (post_id, plain) VALUES (:id, :plain) "
            "ON CONFLICT (post_id) DO UPDATE SET plain = excluded.plain"
        ),
        [{"id": d.post_id, "plain": d.plain} for d in documents],
    )


def delete(connection: Connection, post_ids: Sequence[int]) -> None:
    """Remove the index rows of these posts."""
    if post_ids:
        for table_name in ("post_search", "post_search_text"):
            connection.execute(
                text(f"DELETE FROM {table_name} WHERE post_id = :id"),
                [{"id": i} for i in post_ids],
            )


def clear(connection: Connection) -> None:
    """Empty the index."""
    connection.execute(text("DELETE FROM post_search"))
    connection.execute(text("DELETE FROM post_search_text"))


def settle(connection: Connection) -> None:
    """Move the GIN indexes' pending entries into the indexes proper, after a bulk write: until
    autovacuum does it, every search would read the whole pending list (up to 4 MB)."""
    for index in ("ix_post_search_document", "ix_post_search_heading"):
        connection.execute(
            text("SELECT gin_clean_pending_list(CAST(:index AS regclass))"), {"index": index}
        )


def _matches(value: Any, *, heading: bool = False) -> Any:
    vector = _index.c.heading if heading else _index.c.document
    return vector.op("@@")(cast(value, TSQUERY))


def matching_ids(query: Query) -> Select[tuple[Any]]:
    """SELECT the ids of the posts matching the query, whatever their status."""
    return select(_index.c.post_id).where(_matches(bindparam("match", tsquery_text(query))))


def params(query: Query) -> dict[str, Any]:
    """The bound values `hits` and `match_count` need for this query."""
    return {"match": tsquery_text(query)}


def _newest(*, heading: bool, limit: str) -> Any:
    query = cast(bindparam("match"), TSQUERY)
    top = select(func.max(_posts.c.id)).scalar_subquery()
    newest = func.post_search_newest(query, heading, bindparam(limit), top)
    return select(newest.table_valued("post_id").render_derived().c.post_id)


@cache
def _counted() -> Any:
    # the newest `:counted` (= candidates + 1) matching posts, found once for both the
    # candidates and the count (a CTE both refer to)
    return _newest(heading=False, limit="counted").cte("counted").prefix_with("MATERIALIZED")


def hits() -> Select[Any]:
    """SELECT `post_id` and `rank` (smaller is better) of the candidates: the newest
    `:candidates` posts matching `:match` and the newest matching it in the title or tags."""
    counted = _counted()
    newest = (
        select(counted.c.post_id).order_by(counted.c.post_id.desc()).limit(bindparam("candidates"))
    )
    candidates = union(newest, _newest(heading=True, limit="candidates"))
    rank = func.ts_rank(_index.c.document, cast(bindparam("match"), TSQUERY))
    return select(_index.c.post_id.label("post_id"), (-rank).label("rank")).where(
        _index.c.post_id.in_(candidates)
    )


def match_count() -> Any:
    """How many posts match `:match`, counted up to `:counted` (a scalar subquery)."""
    return select(func.count()).select_from(_counted()).scalar_subquery()


def plain_text(post_id: Any) -> Any:
    """The indexed plain text of the post `post_id` (a correlated scalar subquery)."""
    return select(_texts.c.plain).where(_texts.c.post_id == post_id).scalar_subquery()
