"""What every public read of a post carries besides the post: author, category and tags."""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import QueryableAttribute

from myblog.models import Category, Post, Profile, Tag, User, post_tags


@dataclass(frozen=True, slots=True)
class AuthorRef:
    username: str
    display_name: str
    avatar: str | None = None  # the file name of their avatar in the uploads


@dataclass(frozen=True, slots=True)
class TermRef:
    name: str
    slug: str


# A post's tags travel in its own row as "slug\x1fname" pairs joined by "\x1e" (group_concat on
# SQLite, string_agg on PostgreSQL): one statement per page instead of one more per post. Tag
# names and slugs never hold these characters: names are whitespace-normalised (str.split()
# treats \x1c-\x1f as whitespace) and slugs are letters, digits and dashes.
_PAIR, _NEXT = "\x1f", "\x1e"


def _tags_column() -> ColumnElement[str]:
    return (
        select(func.aggregate_strings(Tag.slug + _PAIR + Tag.name, _NEXT))
        .select_from(post_tags.join(Tag, Tag.id == post_tags.c.tag_id))
        .where(post_tags.c.post_id == Post.id)
        .scalar_subquery()
        .label("tags")
    )


def select_with_byline(*columns: QueryableAttribute[Any]) -> Select[*tuple[Any, ...]]:
    """SELECT the given post columns plus the byline's labelled columns, joined from posts."""
    return (
        select(
            *columns,
            User.username.label("author_username"),
            Profile.display_name.label("author_display_name"),
            Profile.avatar.label("author_avatar"),
            Category.name.label("category_name"),
            Category.slug.label("category_slug"),
            _tags_column(),
        )
        .join(User, Post.author_id == User.id)
        .outerjoin(Profile, Profile.user_id == User.id)
        .outerjoin(Category, Post.category_id == Category.id)
    )


def pop_byline(values: dict[str, Any]) -> dict[str, Any]:
    """Take the byline's columns out of a row's values and return them as
    `author`, `category` and `tags` fields."""
    username = values.pop("author_username")
    display_name = values.pop("author_display_name")
    avatar = values.pop("author_avatar")
    category_name, category_slug = values.pop("category_name"), values.pop("category_slug")
    return {
        "author": AuthorRef(username, display_name or username, avatar),
        "category": None if category_name is None else TermRef(category_name, category_slug),
        "tags": _tags_from(values.pop("tags")),
    }


def _tags_from(packed: str | None) -> list[TermRef]:
    if not packed:
        return []
    pairs = (pair.partition(_PAIR) for pair in packed.split(_NEXT))
    return sorted((TermRef(name, slug) for slug, _, name in pairs), key=attrgetter("name"))
