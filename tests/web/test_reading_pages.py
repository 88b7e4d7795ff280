"""Reading a post: reading time, related posts, bylines with avatars, page numbers on every
listing, the table of contents beside the text."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from PIL import Image
from support import csrf_from, login

from myblog.extensions import db
from myblog.models import Post
from myblog.queries.listings import forget_archive

START = datetime(2024, 6, 28, 12, tzinfo=UTC)


def slug_of(app, post_id: int) -> str:
    with app.app_context():
        return db.session.get(Post, post_id).slug


def page_numbers(html: str) -> list[str]:
    nav = html.split('<nav aria-label="Pages">')[1].split("</nav>")[0]
    items = re.findall(r'<li class="page-item[^"]*"[^>]*>\s*<(?:a|span)[^>]*>([^<]+)</', nav)
    return [item.strip() for item in items]


def test_reading_time_counts_chinese_characters_and_english_words(app, client, factory):
    english = " ".join(["word"] * 450)  # 450 words at 225 a minute: 2 minutes
    chinese = "汉" * 700  # 700 characters at 350 a minute: 2 minutes
    (short, en, zh, both) = (
        factory.posts(1, body="Just a line.")
        + factory.posts(1, body=english)
        + factory.posts(1, body=chinese)
        + factory.posts(1, body=f"{english}\n\n{chinese}")
    )
    minutes = {}
    for post_id in (short, en, zh, both):
        html = client.get(f"/post/{slug_of(app, post_id)}").get_data(as_text=True)
        minutes[post_id] = re.search(r'class="reading-time[^"]*">(\d+) minutes? read<', html)[1]
    assert minutes == {short: "1", en: "2", zh: "2", both: "4"}


def test_related_posts_share_tags_most_shared_first_and_public_only(app, client, factory):
    (post,) = factory.posts(1, tags=["flask", "sql", "web"], start=START)
    (two,) = factory.posts(1, tags=["flask", "sql"], start=START)
    (one,) = factory.posts(1, tags=["web"], start=START)
    (draft,) = factory.posts(1, tags=["flask", "sql", "web"], status="draft", start=START)
    (unrelated,) = factory.posts(1, tags=["cooking"], start=START)
    html = client.get(f"/post/{slug_of(app, post)}").get_data(as_text=True)
    section = html.split('id="related-title"')[1].split("</section>")[0]
    links = re.findall(r'<a href="/post/([^"]+)">', section)
    assert links == [slug_of(app, two), slug_of(app, one)]
    assert slug_of(app, draft) not in section and slug_of(app, unrelated) not in section
    # a post without tags has no such section
    (lonely,) = factory.posts(1)
    assert "Related posts" not in client.get(f"/post/{slug_of(app, lonely)}").get_data(True)


def test_related_posts_cost_one_statement_and_none_once_cached(app, client, factory, count_queries):
    (post,) = factory.posts(1, tags=["flask"], start=START)
    factory.posts(200, tags=["flask"], start=START)
    path = f"/post/{slug_of(app, post)}"

    def statements() -> int:
        with count_queries() as counter:
            assert client.get(path).status_code == 200
        return len(counter.statements)

    client.get(path)  # the blog's settings are cached from now on
    with app.app_context():
        forget_archive()  # as saving a post does: cached answers about posts are dropped
    assert statements() == 4  # the post, its comments, its neighbours, the related posts
    assert statements() == 3  # the related posts from the cache
    html = client.get(path).get_data(as_text=True)
    assert len(re.findall(r"<li class=\"mb-1\">", html.split('id="related-title"')[1])) == 5


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (1, ["← Newer", "1", "2", "3", "…", "10", "Older →"]),
        (5, ["← Newer", "1", "…", "3", "4", "5", "6", "7", "…", "10", "Older →"]),
        (10, ["← Newer", "1", "…", "8", "9", "10", "Older →"]),
    ],
)
def test_listings_show_windowed_page_numbers(app, client, factory, page, expected):
    app.config["MYBLOG_POSTS_PER_PAGE"] = 2
    python = factory.category("Python")
    factory.posts(20, category_id=python, tags=["flask"], start=START)
    for path in ("/", "/category/python", "/tag/flask", "/author/owner", "/archive/2024/6"):
        html = client.get(f"{path}?page={page}").get_data(as_text=True)
        assert page_numbers(html) == expected, path
        current = f'aria-current="page"><span class="page-link">{page}<'
        assert current in html
    html = client.get("/tag/flask?page=4").get_data(as_text=True)
    assert 'href="/tag/flask?page=10"' in html and 'href="/tag/flask?page=5" rel="next"' in html


def test_one_page_has_no_page_numbers_and_a_new_post_adds_a_page(app, client, factory):
    app.config["MYBLOG_POSTS_PER_PAGE"] = 2
    factory.posts(2, start=START)
    assert '<nav aria-label="Pages">' not in client.get("/").get_data(as_text=True)
    login(client)
    token = csrf_from(client, "/admin/posts/new")
    client.post(
        "/admin/posts/new",
        data={"csrf_token": token, "title": "Third", "body": "x", "status": "published"},
    )
    assert page_numbers(client.get("/").get_data(as_text=True)) == [
        "← Newer", "1", "2", "Older →"
    ]  # fmt: skip


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "blue").save(buffer, format="PNG")
    return buffer.getvalue()


def test_bylines_show_the_display_name_and_avatar_on_the_post_and_the_cards(app, client, factory):
    (post,) = factory.posts(1)
    login(client)
    token = csrf_from(client, "/admin/account")
    client.post(
        "/admin/account/profile",
        data={"csrf_token": token, "display_name": "李慧", "avatar": (io.BytesIO(_png()), "a.png")},
        content_type="multipart/form-data",
    )
    client.post("/auth/logout", data={"csrf_token": csrf_from(client, "/admin/account")})
    byline = re.compile(
        r'<a class="byline-author" href="/author/owner"><img class="avatar avatar-sm" '
        r'src="/uploads/[0-9a-f]{32}\.png" alt="" width="24" height="24"[^>]*>李慧</a>'
    )
    assert byline.search(client.get(f"/post/{slug_of(app, post)}").get_data(as_text=True))
    for path in ("/", "/author/owner"):
        assert byline.search(client.get(path).get_data(as_text=True)), path


def test_a_post_with_three_headings_has_its_contents_beside_the_text(app, client, factory):
    body = "## One\n\ntext\n\n## Two\n\ntext\n\n## Three\n\ntext"
    (toc_post,) = factory.posts(1, body=body)
    (marked,) = factory.posts(1, body="Intro\n\n[TOC]\n\n" + body)
    (short,) = factory.posts(1, body="## One\n\n## Two")
    html = client.get(f"/post/{slug_of(app, toc_post)}").get_data(as_text=True)
    assert '<main id="content" class="container my-4 flex-grow-1 reading has-toc">' in html
    aside = html.split('<aside class="post-toc">')[1].split("</aside>")[0]
    assert '<a href="#one">One</a>' in aside and '<a href="#three">Three</a>' in aside
    assert 'class="toc"' not in html.split('<div class="post-body">')[1]
    # a [TOC] marker keeps it where the writer put it, inside the text
    html = client.get(f"/post/{slug_of(app, marked)}").get_data(as_text=True)
    assert "post-toc" not in html and '<p>Intro</p>\n<nav class="toc"' in html
    html = client.get(f"/post/{slug_of(app, short)}").get_data(as_text=True)
    assert 'class="toc"' not in html and "has-toc" not in html
