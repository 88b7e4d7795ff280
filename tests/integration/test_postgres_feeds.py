"""Feeds and the sitemap on PostgreSQL: the UNION of pages, its grouping and paging, and the
feeds' statement, with Chinese content."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import feedparser
import pytest
from flask import Flask
from flask_migrate import upgrade
from support import OWNER_PASSWORD, Factory

from myblog.services.accounts import setup_blog
from myblog.services.taxonomy import create_category

pytestmark = pytest.mark.postgres
NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def pg_app(make_pg_app) -> Flask:
    app = make_pg_app(MYBLOG_SITEMAP_PAGE_SIZE=4)
    with app.app_context():
        upgrade()
        setup_blog(
            title="中文博客", username="Owner", email="owner@example.com", password=OWNER_PASSWORD
        )
    return app


def test_feeds_and_a_split_sitemap_on_postgresql(pg_app):
    factory = Factory(pg_app)
    with pg_app.app_context():
        category = create_category("读书笔记")
        category_id, category_slug = category.id, category.slug
    factory.posts(3, category_id=category_id, tags=["随笔"], body="第一段。\n\n第二段。")
    client = pg_app.test_client()

    parsed = feedparser.parse(client.get("/feed.xml").data)
    assert not parsed.bozo and parsed.feed.title == "中文博客"
    assert [entry.summary for entry in parsed.entries] == ["第一段。 第二段。"] * 3
    term = client.get(f"/category/{category_slug}/feed.json")
    assert term.mimetype == "application/feed+json"
    assert len(json.loads(term.data)["items"]) == 3

    # 3 fixed pages + 3 posts + category + tag + author = 9 URLs: pages of 4, 4 and 1
    index = ET.fromstring(client.get("/sitemap.xml").data)
    assert index.tag == f"{NS}sitemapindex"
    assert len(index.findall(f"{NS}sitemap")) == 3
    listed = []
    for number in (1, 2, 3):
        page = ET.fromstring(client.get(f"/sitemap-{number}.xml").data)
        listed += [url.findtext(f"{NS}loc") for url in page.findall(f"{NS}url")]
        assert all(url.findtext(f"{NS}lastmod") for url in page.findall(f"{NS}url")[3:])
    assert len(listed) == len(set(listed)) == 9
    assert listed[-1] == "http://localhost/author/Owner"
    assert client.get("/sitemap-4.xml").status_code == 404
