"""robots.txt and the sitemap: what crawlers may read, and every public page with its last change,
split under an index past one sitemap's worth of URLs."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from support import Factory
from writing import owner

from myblog.extensions import db
from myblog.models import Post, PostStatus
from myblog.services.posts import PostInput, save_post

NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
FIXED = ["http://localhost/", "http://localhost/archive", "http://localhost/about"]


def fetch(client, path: str) -> ET.Element:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.mimetype == "application/xml", path
    assert response.content_length == len(response.data)
    return ET.fromstring(response.data)


def urls(root: ET.Element) -> dict[str, datetime | None]:
    """Each <url>'s address and lastmod (which must be a W3C datetime with a zone)."""
    assert root.tag == f"{NS}urlset"
    found = {}
    for url in root.findall(f"{NS}url"):
        lastmod = url.findtext(f"{NS}lastmod")
        moment = datetime.fromisoformat(lastmod) if lastmod else None
        assert moment is None or moment.tzinfo is not None
        found[url.findtext(f"{NS}loc")] = moment
    return found


def test_the_sitemap_lists_every_public_page_with_its_last_change(app, client, factory):
    python = factory.category("Python")
    factory.category("Empty")  # no post: not listed
    ids = factory.posts(3, category_id=python, tags=["flask", "web"])
    factory.posts(1, status=PostStatus.DRAFT, tags=["secret"])
    writer = factory.user("writer")  # no post: not listed
    with app.app_context():
        then = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
        post = save_post(
            PostInput(title="Older", status=PostStatus.PUBLISHED, published_at=then, body="x"),
            author=owner(),
        )
        older_slug, older_changed = post.slug, post.updated_at
        slugs = [db.session.get(Post, post_id).slug for post_id in ids]

    found = urls(fetch(client, "/sitemap.xml"))
    posts = [f"http://localhost/post/{slug}" for slug in [*slugs, older_slug]]
    terms = ["http://localhost/category/python", "http://localhost/tag/flask"]
    terms += ["http://localhost/tag/web", "http://localhost/author/owner"]
    assert list(found) == FIXED + posts + terms
    assert writer.username not in str(found) and "secret" not in str(found)
    assert "empty" not in str(found) and "post-4" not in str(found)  # the draft

    # a post's lastmod is its last change (or its publication, if later)
    assert found[f"http://localhost/post/{older_slug}"] == older_changed.replace(microsecond=0)
    newest = max(moment for moment in found.values() if moment)
    assert found["http://localhost/"] == found["http://localhost/archive"] == newest
    assert found["http://localhost/about"] is None
    assert found["http://localhost/tag/flask"] == max(found[p] for p in posts[:3])


def test_an_empty_blog_still_has_a_sitemap(client):
    assert list(urls(fetch(client, "/sitemap.xml"))) == FIXED


def test_addresses_are_quoted_and_escaped(app, client, factory):
    factory.user("anna.b")
    factory.posts(1, author_id=factory.user("o'neil&co").id)
    response = client.get("/sitemap.xml")
    assert b"http://localhost/author/o&apos;neil&amp;co</loc>" in response.data
    assert "http://localhost/author/o'neil&co" in urls(ET.fromstring(response.data))


@pytest.fixture
def small_pages(make_app):
    """A blog whose sitemaps hold 5 URLs each, to see the split without 50,000 rows."""
    return make_app(MYBLOG_SITEMAP_PAGE_SIZE=5)


def test_past_one_page_the_sitemap_is_an_index_of_pages(small_pages):
    factory = Factory(small_pages)
    python = factory.category("Python")
    factory.posts(9, category_id=python, tags=["flask"])
    client = small_pages.test_client()

    # 3 fixed pages + 9 posts + category + tag + author = 15 URLs: three pages of five
    index = fetch(client, "/sitemap.xml")
    assert index.tag == f"{NS}sitemapindex"
    pages = [node.findtext(f"{NS}loc") for node in index.findall(f"{NS}sitemap")]
    assert pages == [f"http://localhost/sitemap-{n}.xml" for n in (1, 2, 3)]

    listed: list[str] = []
    for page in pages:
        found = urls(fetch(client, page.removeprefix("http://localhost")))
        assert 0 < len(found) <= 5
        listed += found
    assert len(listed) == len(set(listed)) == 15
    assert listed[:3] == FIXED and listed[-1] == "http://localhost/author/owner"
    assert client.get("/sitemap-4.xml").status_code == 404
    assert client.get("/sitemap-0.xml").status_code == 404


def test_exactly_one_page_needs_no_index(small_pages):
    Factory(small_pages).posts(1)  # 3 fixed pages, the post, its author: 5
    found = urls(fetch(small_pages.test_client(), "/sitemap.xml"))
    assert len(found) == 5


def test_robots_txt_keeps_private_paths_out_and_points_to_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "User-agent: *"
    assert {"Disallow: /admin", "Disallow: /auth", "Disallow: /api"} <= set(lines)
    assert "Sitemap: http://localhost/sitemap.xml" in lines
    assert not any(line == "Disallow: /" or line.startswith("Disallow: /post") for line in lines)


def test_a_scheduled_post_waits_for_its_time(app, client):
    with app.app_context():
        soon = datetime.now(UTC) + timedelta(hours=1)
        save_post(
            PostInput(title="Soon", body="x", status=PostStatus.SCHEDULED, published_at=soon),
            author=owner(),
        )
    assert "soon" not in str(urls(fetch(client, "/sitemap.xml")))
