"""Revisions, autosaves and the media library's usage query on PostgreSQL (migrated schema)."""

from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from myblog.extensions import db
from myblog.models import Upload, User
from myblog.services.accounts import setup_blog
from myblog.services.media import usages
from myblog.services.posts import PostInput, restore_revision, save_post
from myblog.services.revisions import (
    AUTOSAVES_KEPT,
    autosave,
    compare,
    pending_autosave,
    revisions_of,
)

pytestmark = pytest.mark.postgres


def test_revisions_autosaves_and_media_usage_on_postgres(make_pg_app):
    app = make_pg_app()
    with app.app_context():
        upgrade()
        setup_blog(title="博客", username="Owner", email="o@example.com", password="plum-kettle-42")
        owner = db.session.scalars(select(User)).one()
        post = save_post(PostInput(title="笔记", body="第一版"), author=owner)
        for n in range(AUTOSAVES_KEPT + 2):
            autosave(user=owner, post_id=post.id, title="笔记", body=f"草稿 {n} 100%_x")
        assert pending_autosave(user=owner, post=post).body == f"草稿 {AUTOSAVES_KEPT + 1} 100%_x"
        save_post(
            PostInput(title="笔记", body="第二版 ![](/uploads/a_b%.png)"), author=owner, post=post
        )
        assert pending_autosave(user=owner, post=post) is None
        newest, oldest = revisions_of(post)
        assert not compare(oldest, newest).same
        restore_revision(post, oldest, user=owner)
        assert post.body == "第一版"
        assert len(revisions_of(post)) == 3

        upload = Upload(
            filename="a_b%.png", content_type="image/png", size=1, width=1, height=1,
            uploader_id=owner.id,
        )  # fmt: skip
        other = Upload(
            filename="axb%.png", content_type="image/png", size=1, width=1, height=1,
            uploader_id=owner.id,
        )  # fmt: skip
        db.session.add_all([upload, other])
        db.session.commit()
        save_post(PostInput(title="图", body="![](/uploads/a_b%.png)"), author=owner)
        found = usages([upload, other])
        # LIKE's wildcards in a name are matched as themselves
        assert [usage.title for usage in found[upload.id]] == ["图"]
        assert found[other.id] == []
