"""What pages tell search engines and link previews in their <head>: titles, canonical URLs,
descriptions, Open Graph and Twitter cards, and a post's JSON-LD BlogPosting."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime

import pytest
from support import login
from writing import owner

from myblog.extensions import db
from myblog.models import Post, PostStatus
from myblog.services.posts import PostInput, save_post
from myblog.services.taxonomy import create_category


def head_of(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True).split("</head>")[0]


def title_of(head: str) -> str:
    return html.unescape(re.search(r"<title>(.*?)</title>", head).group(1))


def meta(head: str, attribute: str, name: str) -> list[str]:
    pattern = rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">'
    return [html.unescape(value) for value in re.findall(pattern, head)]


def canonical(head: str) -> list[str]:
    return re.findall(r'<link rel="canonical" href="([^"]+)">', head)


def structured(head: str) -> dict:
    (block,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', head, re.S)
    return json.loads(block)


@pytest.fixture
def post(app) -> dict:
    """A published post with a summary, a category, tags and an image; its facts."""
    with app.app_context():
        category_id = create_category("Python").id
        written = save_post(
            PostInput(
                title='Flask "in depth" & more',
                body="# Heading\n\n![diagram](/uploads/d.png)\n\nThe body's first paragraph.",
                summary='What "depth" means here.',
                status=PostStatus.PUBLISHED,
                published_at=datetime(2024, 5, 1, 8, 30, tzinfo=UTC),
                category_id=category_id,
                tags=["flask", "web"],
            ),
            author=owner(),
        )
        return {"slug": written.slug, "updated": written.updated_at}


def test_a_post_page_has_its_description_canonical_and_cards(client, post):
    head = head_of(client, f"/post/{post['slug']}")
    url = f"http://localhost/post/{post['slug']}"
    assert canonical(head) == [url]
    assert meta(head, "name", "description") == ['What "depth" means here.']
    assert meta(head, "property", "og:type") == ["article"]
    assert meta(head, "property", "og:title") == ['Flask "in depth" & more']
    assert meta(head, "property", "og:description") == ['What "depth" means here.']
    assert meta(head, "property", "og:url") == [url]
    assert meta(head, "property", "og:site_name") == ["Test Blog"]
    assert meta(head, "property", "og:image") == ["http://localhost/uploads/d.png"]
    assert meta(head, "property", "article:published_time") == ["2024-05-01T08:30:00+00:00"]
    assert meta(head, "property", "article:tag") == ["flask", "web"]
    assert meta(head, "name", "twitter:card") == ["summary_large_image"]
    assert meta(head, "name", "twitter:title") == ['Flask "in depth" & more']
    assert meta(head, "name", "robots") == []


def test_a_post_page_describes_itself_as_a_blog_posting(client, post):
    data = structured(head_of(client, f"/post/{post['slug']}"))
    url = f"http://localhost/post/{post['slug']}"
    assert data["@context"] == "https://schema.org" and data["@type"] == "BlogPosting"
    assert data["headline"] == 'Flask "in depth" & more'
    assert data["url"] == data["mainEntityOfPage"] == url
    assert data["datePublished"] == "2024-05-01T08:30:00+00:00"
    modified = datetime.fromisoformat(data["dateModified"])
    assert modified == post["updated"].replace(microsecond=0) and modified.tzinfo is not None
    assert data["author"] == {
        "@type": "Person",
        "name": "owner",
        "url": "http://localhost/author/owner",
    }
    assert data["description"] == 'What "depth" means here.'
    assert data["keywords"] == "flask, web"
    assert data["articleSection"] == "Python"
    assert data["image"] == "http://localhost/uploads/d.png"


def test_without_a_summary_the_description_is_the_first_paragraph(app, client):
    with app.app_context():
        written = save_post(
            PostInput(
                title="Plain",
                body="## Intro\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nFirst words.",
                status=PostStatus.PUBLISHED,
            ),
            author=owner(),
        )
        slug = written.slug
    head = head_of(client, f"/post/{slug}")
    assert meta(head, "name", "description") == ["First words."]
    assert structured(head)["description"] == "First words."
    assert "keywords" not in structured(head) and "image" not in structured(head)
    assert meta(head, "name", "twitter:card") == ["summary"]


def test_a_draft_preview_is_not_indexed(app, client):
    with app.app_context():
        slug = save_post(PostInput(title="Unfinished", body="x"), author=owner()).slug
    login(client)
    head = head_of(client, f"/post/{slug}")
    assert meta(head, "name", "robots") == ["noindex"]
    assert "datePublished" not in structured(head)


def test_a_refused_comment_keeps_the_post_page_canonical(app, client, post):
    # the page comes back from the comment's address, not the post's
    response = client.post(f"/post/{post['slug']}/comments", data={"body": ""})
    assert response.status_code == 400
    head = response.get_data(as_text=True).split("</head>")[0]
    assert canonical(head) == [f"http://localhost/post/{post['slug']}"]


# --- listings -----------------------------------------------------------------------------------


def test_pages_after_the_first_have_their_own_title_and_canonical(app, client, factory):
    python = factory.category("Python")
    factory.posts(25, category_id=python, tags=["flask"])
    with app.app_context():
        when = db.session.get(Post, 1).published_at
    month = f"/archive/{when.year}/{when.month}"
    for path, title in [
        ("/", "Test Blog"),
        ("/category/python", "Python · Test Blog"),
        ("/tag/flask", "flask · Test Blog"),
        ("/author/owner", "owner · Test Blog"),
        (month, f"{when:%B} {when.year} · Test Blog"),
    ]:
        first = head_of(client, path)
        assert title_of(first) == title
        assert canonical(first) == [f"http://localhost{path}"]
        second = head_of(client, f"{path}?page=2")
        assert title_of(second) == f"Page 2 · {title}"
        assert canonical(second) == [f"http://localhost{path}?page=2"]
    # the same page written otherwise has the one canonical address
    assert canonical(head_of(client, "/?page=02&utm_source=x")) == ["http://localhost/?page=2"]
    assert canonical(head_of(client, "/?page=1")) == ["http://localhost/"]


def test_other_public_pages_have_a_canonical_and_a_description(client, factory):
    factory.posts(1, tags=["flask"], category_id=factory.category("Python"))
    for path, description in [
        ("/archive", None),
        ("/about", None),
        ("/category/python", "Posts filed under Python on Test Blog."),
        ("/tag/flask", "Posts tagged #flask on Test Blog."),
        ("/author/owner", "Posts by owner on Test Blog."),
    ]:
        head = head_of(client, path)
        assert canonical(head) == [f"http://localhost{path}"], path
        if description:
            assert meta(head, "name", "description") == [description], path


def test_a_bad_page_number_is_still_a_404_with_its_head(client):
    for value in ["0", "x", "²", "1" * 12]:
        assert client.get(f"/?page={value}").status_code == 404
