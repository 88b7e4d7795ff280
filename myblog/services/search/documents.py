"""What the index holds of a post: its tokens by field and its plain text, built from plain
values so that the service, the reindex command and the migration share it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from myblog.models import Post, Tag, post_tags
from myblog.services.search.text import MAX_INDEXED, index_tokens, plain_text


@dataclass(frozen=True)
class Document:
    """One post's entry in the index."""

    post_id: int
    title: list[str]
    tags: list[str]
    body: list[str]
    plain: str


def build_document(post_id: int, title: str, tag_names: Iterable[str], body_html: str) -> Document:
    """The index entry of a post from its title, tag names and rendered HTML."""
    plain = plain_text(body_html)
    return Document(
        post_id=post_id,
        title=index_tokens(title),
        tags=index_tokens(" ".join(tag_names)),
        body=index_tokens(plain[:MAX_INDEXED]),
        plain=plain,
    )


def _batches(connection: Connection, size: int) -> Iterator[list[Document]]:
    last_id = 0
    while True:
        posts = connection.execute(
            select(Post.id, Post.title, Post.body_html)
            .where(Post.id > last_id)
            .order_by(Post.id)
            .limit(size)
        ).all()
        if not posts:
            return
        ids = [row.id for row in posts]
        names: dict[int, list[str]] = {}
        for post_id, name in connection.execute(
            select(post_tags.c.post_id, Tag.name)
            .join(Tag, Tag.id == post_tags.c.tag_id)
            .where(post_tags.c.post_id.in_(ids))
            .order_by(Tag.name)
        ):
            names.setdefault(post_id, []).append(name)
        yield [build_document(r.id, r.title, names.get(r.id, []), r.body_html) for r in posts]
        last_id = ids[-1]


def post_count(connection: Connection) -> int:
    """How many posts a rebuild indexes."""
    return int(connection.execute(select(func.count(Post.id))).scalar_one())


def read_documents(
    connection: Connection, *, size: int = 500, progress: Callable[[int], None] | None = None
) -> Iterator[Sequence[Document]]:
    """Every post's index entry, a batch at a time, in id order."""
    for batch in _batches(connection, size):
        yield batch
        if progress:
            progress(len(batch))
