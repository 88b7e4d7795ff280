"""Reads for the admin editor: one post by id, whatever its status."""

from __future__ import annotations

from myblog.extensions import db
from myblog.models import Post


def post_by_id(post_id: int) -> Post | None:
    """The post with this id, whatever its status, or None."""
    return db.session.get(Post, post_id)
