"""The editor's read of one post by id."""

from __future__ import annotations

from myblog.models import PostStatus
from myblog.services.editing import post_by_id


def test_post_by_id_finds_a_post_of_any_status(app, factory):
    (draft,) = factory.posts(1, status=PostStatus.DRAFT)
    with app.app_context():
        post = post_by_id(draft)
        assert post is not None and post.status is PostStatus.DRAFT
        assert post_by_id(draft + 1000) is None
