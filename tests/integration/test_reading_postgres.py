"""Related posts and page numbers on PostgreSQL (their statements group and count)."""

from __future__ import annotations

import re

import pytest
from flask_migrate import upgrade
from sqlalchemy import select
from support import OWNER_PASSWORD

from myblog.extensions import db
from myblog.models import PostStatus, User
from myblog.services.accounts import setup_blog
from myblog.services.posts import PostInput, save_post

pytestmark = pytest.mark.postgres


def test_related_posts_and_page_numbers(make_pg_app):
    app = make_pg_app(MYBLOG_POSTS_PER_PAGE=2)
    with app.app_context():
        upgrade()
        setup_blog(title="博客", username="owner", email="o@example.com", password=OWNER_PASSWORD)
        owner = db.session.scalars(select(User)).one()
        tags = [["flask", "sql"], ["flask"], ["sql", "flask"], ["cooking"], ["flask"]]
        slugs = [
            save_post(
                PostInput(title=f"笔记 {i}", body="正文", status=PostStatus.PUBLISHED, tags=t),
                author=owner,
            ).slug
            for i, t in enumerate(tags)
        ]
    client = app.test_client()
    html = client.get(f"/post/{slugs[0]}").get_data(as_text=True)
    section = html.split('id="related-title"')[1].split("</section>")[0]
    assert re.findall(r'<a href="/post/([^"]+)">', section) == [slugs[2], slugs[4], slugs[1]]
    html = client.get("/tag/flask?page=2").get_data(as_text=True)
    assert 'href="/tag/flask?page=1"' in html and "page=3" not in html
    assert 'aria-current="page"><span class="page-link">2<' in html
