"""Categories and tags: create on the fly, rename, merge, delete."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from myblog.extensions import db
from myblog.models import Category, Post, Tag, post_tags
from myblog.services.search import reindex_posts
from myblog.services.slugs import slugify, unique_slug

_SPLIT = re.compile(r"[,，、;；]")
MAX_NAME = 60

Term = TypeVar("Term", Category, Tag)


class TaxonomyError(ValueError):
    """A user-facing reason why a category or tag change was refused."""


def split_tags(text: str) -> list[str]:
    """Split the editor's tag field on ASCII or Chinese commas; trims, drops blanks and repeats."""
    seen: dict[str, str] = {}
    for raw in _SPLIT.split(text):
        name = " ".join(raw.split())[:MAX_NAME]
        if name and name.lower() not in seen:
            seen[name.lower()] = name
    return list(seen.values())


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise TaxonomyError(_("A name is required."))
    if len(name) > MAX_NAME:
        raise TaxonomyError(_("A name may have at most %(max)d characters.", max=MAX_NAME))
    return name


def _by_name(model: type[Term], name: str) -> Term | None:
    return db.session.scalar(select(model).where(func.lower(model.name) == name.lower()))


def _new_slug(model: type[Term], name: str, *, own_id: int | None = None) -> str:
    base = slugify(name, fallback=model.__tablename__[:-1])

    def taken(slug: str) -> bool:
        query = select(model.id).where(model.slug == slug)
        if own_id is not None:
            # a renamed term may keep its own slug ("flask" → "Flask" stays /tag/flask)
            query = query.where(model.id != own_id)
        return db.session.scalar(query.limit(1)) is not None

    return unique_slug(base, taken)


def get_or_create_tags(names: Iterable[str]) -> list[Tag]:
    """The tags with these names, creating the missing ones (not committed)."""
    tags: list[Tag] = []
    for raw in names:
        name = _clean_name(raw)
        tag = _by_name(Tag, name)
        if tag is None:
            tag = Tag(name=name, slug=_new_slug(Tag, name))
            db.session.add(tag)
            db.session.flush()
        if tag not in tags:
            tags.append(tag)
    return tags


def get_or_create_term(model: type[Term], name: str, *, slug: str = "") -> Term:
    """The category or tag with this name, creating it if missing (not committed): with `slug`
    when that is free (a restored backup keeps its addresses), else one made from the name."""
    name = _clean_name(name)
    term = _by_name(model, name)
    if term is None:
        wanted = slugify(slug) if slug.strip() else ""
        free = wanted and db.session.scalar(select(model.id).where(model.slug == wanted)) is None
        term = model(name=name, slug=wanted if free else _new_slug(model, name))
        db.session.add(term)
        db.session.flush()
    return term


def create_category(name: str) -> Category:
    """Create a category; refuses a name already in use."""
    name = _clean_name(name)
    if _by_name(Category, name) is not None:
        raise TaxonomyError(_("A category named “%(name)s” already exists.", name=name))
    category = Category(name=name, slug=_new_slug(Category, name))
    db.session.add(category)
    db.session.commit()
    return category


def rename(term: Term, new_name: str) -> Term:
    """Rename a category or tag; its slug follows the new name."""
    name = _clean_name(new_name)
    other = _by_name(type(term), name)
    if other is not None and other.id != term.id:
        raise TaxonomyError(_("“%(name)s” already exists: merge into it instead.", name=name))
    if name != term.name:
        term.name = name
        term.slug = _new_slug(type(term), name, own_id=term.id)
        if isinstance(term, Tag):
            reindex_posts(_tagged(term.id))  # the posts' index entries hold tag names
    db.session.commit()
    return term


def merge(source: Category | Tag, target: Category | Tag) -> None:
    """Merge a category into another category, or a tag into another tag."""
    if isinstance(source, Category) and isinstance(target, Category):
        merge_categories(source, target)
    elif isinstance(source, Tag) and isinstance(target, Tag):
        merge_tags(source, target)
    else:
        raise TypeError("a category merges only into a category, a tag only into a tag")


def merge_categories(source: Category, target: Category) -> None:
    """Move every post of `source` to `target`, then delete `source`."""
    if source.id == target.id:
        raise TaxonomyError(_("Choose a different category to merge into."))
    with _target_kept(target):
        db.session.execute(
            update(Post).where(Post.category_id == source.id).values(category_id=target.id)
        )
        _delete_row(source)


def merge_tags(source: Tag, target: Tag) -> None:
    """Give `target` to every post tagged `source`, then delete `source`."""
    if source.id == target.id:
        raise TaxonomyError(_("Choose a different tag to merge into."))
    already = select(post_tags.c.post_id).where(post_tags.c.tag_id == target.id)
    tagged = _tagged(source.id)
    with _target_kept(target):
        db.session.execute(
            insert(post_tags).from_select(
                ["post_id", "tag_id"],
                select(post_tags.c.post_id, db.literal(target.id)).where(
                    post_tags.c.tag_id == source.id, post_tags.c.post_id.not_in(already)
                ),
            )
        )
        db.session.execute(delete(post_tags).where(post_tags.c.tag_id == source.id))
        _delete_row(source)
        reindex_posts(tagged)


def delete_term(term: Category | Tag) -> bool:
    """Delete a category (its posts become uncategorised) or a tag (removed from its posts);
    commits. False when it was already gone, deleted meanwhile by another request."""
    if isinstance(term, Category):
        db.session.execute(update(Post).where(Post.category_id == term.id).values(category_id=None))
    else:
        tagged = _tagged(term.id)
        db.session.execute(delete(post_tags).where(post_tags.c.tag_id == term.id))
        reindex_posts(tagged)
    deleted = _delete_row(term)
    db.session.commit()
    return deleted


def _tagged(tag_id: int) -> list[int]:
    return list(db.session.scalars(select(post_tags.c.post_id).where(post_tags.c.tag_id == tag_id)))


def _delete_row(term: Category | Tag) -> bool:
    # one DELETE by id: a row deleted meanwhile is a count of 0, not the ORM's stale-data error
    model = type(term)
    result = db.session.execute(delete(model).where(model.id == term.id))
    return bool(cast("CursorResult[Any]", result).rowcount)


@contextmanager
def _target_kept(target: Category | Tag) -> Iterator[None]:
    """Commit the merge, or refuse it (rolled back) when its target was deleted meanwhile or
    the rows changed under it (the foreign key or the post_tags key refuses them)."""
    # read now: after a rollback the instance is expired, and its row may be gone
    model, target_id, name = type(target), target.id, target.name
    still_there = select(model.id).where(model.id == target_id)
    try:
        yield
        if db.session.scalar(still_there) is not None:
            db.session.commit()
            return
    except IntegrityError:
        pass
    db.session.rollback()
    if db.session.scalar(still_there) is None:
        raise TaxonomyError(_("“%(name)s” was deleted meanwhile: choose another.", name=name))
    raise TaxonomyError(_("The posts changed meanwhile: please try again."))


def categories() -> list[Category]:
    """Every category, by name (the editor's menu)."""
    return list(db.session.scalars(select(Category).order_by(Category.name)))


def term_by_id(model: type[Term], term_id: int) -> Term | None:
    """The category or tag with this id, if there is one."""
    return db.session.get(model, term_id)


def others(term: Term) -> list[Term]:
    """Every other term of the same kind, by name: where this one can be merged into."""
    model = type(term)
    return list(db.session.scalars(select(model).where(model.id != term.id).order_by(model.name)))


def with_counts(model: type[Term]) -> list[tuple[Term, int]]:
    """Every category or tag with its number of posts, by name."""
    if model is Category:
        count = select(func.count(Post.id)).where(Post.category_id == Category.id).scalar_subquery()
    else:
        count = (
            select(func.count(post_tags.c.post_id))
            .where(post_tags.c.tag_id == Tag.id)
            .scalar_subquery()
        )
    rows = db.session.execute(select(model, count).order_by(model.name))
    return [(term, int(n)) for term, n in rows]
