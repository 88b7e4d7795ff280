"""The public blog through the test client: listings, posts, archive, feed, paging, theme."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from support import login

from myblog.extensions import db
from myblog.models import Post, PostStatus, Role
from myblog.models.types import utcnow

ATOM = "{http://www.w3.org/2005/Atom}"


def slugs_of(app, ids: list[int]) -> list[str]:
    with app.app_context():
        return [db.session.get(Post, post_id).slug for post_id in ids]


def category_id(app, factory, name: str) -> int:
    return factory.category(name)


def set_title(app, post_id: int, title: str) -> None:
    with app.app_context():
        db.session.get(Post, post_id).title = title
        db.session.commit()


def link_positions(html: str, slugs: list[str]) -> list[int]:
    return [html.index(f'href="/post/{slug}"') for slug in slugs]


# --- the home page ----------------------------------------------------------------------------


def test_home_lists_published_posts_newest_first_with_their_details(app, client, factory):
    python = category_id(app, factory, "Python")
    ids = factory.posts(3, category_id=python, tags=["flask", "web"], body="An **intro**.")
    slugs = slugs_of(app, ids)
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    positions = link_positions(html, slugs)
    assert positions == sorted(positions), "factory posts are created newest first"
    with app.app_context():
        first = db.session.get(Post, ids[0])
        # an English page, in the blog's zone (UTC): "Nov 29, 2026"
        title, date = (
            first.title,
            f"{first.published_at:%b} {first.published_at.day}, {first.published_at:%Y}",
        )
    assert f">{title}</a>" in html
    assert f">{date}</time>" in html
    assert 'href="/category/python">Python</a>' in html
    assert 'href="/tag/flask">#flask</a>' in html and 'href="/tag/web">#web</a>' in html
    assert "An intro." in html  # the excerpt is plain text
    assert 'href="/author/owner"' in html


def test_home_with_no_posts_says_so(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Nothing published yet." in response.get_data(as_text=True)


def test_drafts_and_future_posts_are_not_listed(app, client, factory):
    (public,) = slugs_of(app, factory.posts(1, tags=["x"]))
    (draft,) = slugs_of(app, factory.posts(1, tags=["x"], status=PostStatus.DRAFT))
    (future,) = slugs_of(
        app,
        factory.posts(
            1, tags=["x"], status=PostStatus.SCHEDULED, start=utcnow() + timedelta(days=2)
        ),
    )
    for url in ["/", "/feed.xml", "/author/owner", "/tag/x"]:
        text = client.get(url).get_data(as_text=True)
        for hidden in (draft, future):
            assert not re.search(rf"/post/{hidden}(?![\w-])", text), (url, hidden)
    archive = client.get("/archive").get_data(as_text=True)
    assert (
        sum(int(n) for n in re.findall(r'<span class="text-body-secondary">\((\d+)\)', archive))
        == 1
    )
    assert f"/post/{public}" in client.get("/").get_data(as_text=True)


def test_scheduled_post_whose_time_has_come_is_listed(app, client, factory):
    (slug,) = slugs_of(app, factory.posts(1, status=PostStatus.SCHEDULED))
    assert f'href="/post/{slug}"' in client.get("/").get_data(as_text=True)
    assert client.get(f"/post/{slug}").status_code == 200


# --- drafts and scheduled posts ---------------------------------------------------------------


@pytest.fixture
def unpublished(app, factory):
    """A draft and a future scheduled post by author `alice`."""
    alice = factory.user("alice", Role.AUTHOR)
    draft_ids = factory.posts(1, author_id=alice.id, status=PostStatus.DRAFT)
    future_ids = factory.posts(
        1,
        author_id=alice.id,
        status=PostStatus.SCHEDULED,
        start=utcnow() + timedelta(days=3),
    )
    return {"draft": slugs_of(app, draft_ids)[0], "scheduled": slugs_of(app, future_ids)[0]}


@pytest.mark.parametrize("kind", ["draft", "scheduled"])
def test_unpublished_post_is_404_for_anonymous_visitors(client, unpublished, kind):
    response = client.get(f"/post/{unpublished[kind]}")
    assert response.status_code == 404
    assert "Only you can see" not in response.get_data(as_text=True)


@pytest.mark.parametrize("kind", ["draft", "scheduled"])
def test_unpublished_post_shows_with_a_notice_to_its_author(client, unpublished, kind):
    login(client, "alice", "plum-kettle-42")
    response = client.get(f"/post/{unpublished[kind]}")
    assert response.status_code == 200
    assert f"Only you can see this {kind} post." in response.get_data(as_text=True)


def test_unpublished_post_shows_with_a_notice_to_the_owner(client, unpublished):
    login(client)
    response = client.get(f"/post/{unpublished['draft']}")
    assert response.status_code == 200
    assert "Only you can see this draft post." in response.get_data(as_text=True)


def test_another_author_cannot_see_someone_elses_draft(client, factory, unpublished):
    factory.user("bob", Role.AUTHOR)
    login(client, "bob", "plum-kettle-42")
    assert client.get(f"/post/{unpublished['draft']}").status_code == 404
    assert client.get(f"/post/{unpublished['scheduled']}").status_code == 404


def test_unknown_post_is_404(client):
    assert client.get("/post/no-such-post").status_code == 404


# --- a post's page ----------------------------------------------------------------------------


def test_post_page_shows_body_html_tags_and_meta(app, client, factory):
    python = category_id(app, factory, "Python")
    body = "# Heading\n\nSome **bold** text.\n\n```python\nprint('hi')\n```\n"
    (slug,) = slugs_of(app, factory.posts(1, category_id=python, tags=["flask"], body=body))
    response = client.get(f"/post/{slug}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<strong>bold</strong>" in html
    assert 'class="highlight"' in html
    assert 'href="/tag/flask">#flask</a>' in html
    assert 'href="/category/python">Python</a>' in html
    assert f'<link rel="canonical" href="http://localhost/post/{slug}">' in html
    assert "Only you can see" not in html


def test_prev_and_next_links_skip_unpublished_posts(app, client, factory):
    newest, middle, oldest = slugs_of(app, factory.posts(3))
    factory.posts(1, status=PostStatus.SCHEDULED, start=utcnow() + timedelta(days=5))
    factory.posts(1, status=PostStatus.DRAFT)

    html = client.get(f"/post/{middle}").get_data(as_text=True)
    assert re.search(rf'<a rel="prev" href="/post/{oldest}">', html)
    assert re.search(rf'<a rel="next" href="/post/{newest}">', html)

    html = client.get(f"/post/{newest}").get_data(as_text=True)
    assert f'rel="prev" href="/post/{middle}"' in html
    assert 'rel="next"' not in html, "a future or draft post must not be the 'next' one"

    html = client.get(f"/post/{oldest}").get_data(as_text=True)
    assert 'rel="prev"' not in html
    assert f'rel="next" href="/post/{middle}"' in html


def test_script_in_markdown_is_not_on_the_page(app, client, factory):
    body = "Hello <script>alert('pwned')</script> world\n\n<img src=x onerror=alert(2)>"
    (post_id,) = factory.posts(1, body=body)
    set_title(app, post_id, "<script>alert(3)</script> title")
    (slug,) = slugs_of(app, [post_id])
    html = client.get(f"/post/{slug}").get_data(as_text=True)
    assert "alert('pwned')" not in html and "alert(2)" not in html
    assert "onerror" not in html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(3)&lt;/script&gt; title" in html
    # the only scripts on the page are our own files, and the JSON-LD data block (never run),
    # where the title's "</script>" is written \u003c/script\u003e and cannot end the block
    assert re.findall(r"<script[^>]*>", html) == [
        '<script type="application/ld+json">',
        '<script src="/static/js/theme.js">',
        '<script src="/static/vendor/bootstrap/bootstrap.bundle.min.js">',
        '<script src="/static/js/comments.js" defer>',
        '<script src="/static/js/live.js" defer>',
    ]
    data = html.split('<script type="application/ld+json">')[1].split("</script>")[0]
    assert json.loads(data)["headline"] == "<script>alert(3)</script> title"


# --- category, tag, author, archive, about ----------------------------------------------------


def test_category_page_lists_only_its_posts(app, client, factory):
    python = category_id(app, factory, "Python")
    rust = category_id(app, factory, "Rust")
    in_python = slugs_of(app, factory.posts(2, category_id=python))
    in_rust = slugs_of(app, factory.posts(1, category_id=rust))
    response = client.get("/category/python")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert all(f'href="/post/{slug}"' in html for slug in in_python)
    assert f'href="/post/{in_rust[0]}"' not in html
    assert client.get("/category/nope").status_code == 404


def test_tag_page_lists_only_its_posts(app, client, factory):
    tagged = slugs_of(app, factory.posts(2, tags=["flask"]))
    other = slugs_of(app, factory.posts(1, tags=["django"]))
    draft = slugs_of(app, factory.posts(1, tags=["flask"], status=PostStatus.DRAFT))
    response = client.get("/tag/flask")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert all(f'href="/post/{slug}"' in html for slug in tagged)
    assert f'href="/post/{other[0]}"' not in html
    assert f'href="/post/{draft[0]}"' not in html
    assert client.get("/tag/nope").status_code == 404


def test_author_page_lists_only_their_posts(app, client, factory):
    alice = factory.user("alice", Role.AUTHOR)
    hers = slugs_of(app, factory.posts(2, author_id=alice.id))
    owners = slugs_of(app, factory.posts(1))
    response = client.get("/author/alice")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert all(f'href="/post/{slug}"' in html for slug in hers)
    assert f'href="/post/{owners[0]}"' not in html
    assert client.get("/author/nobody").status_code == 404


def test_archive_lists_months_and_month_page_lists_their_posts(app, client, factory):
    march = slugs_of(app, factory.posts(2, start=datetime(2024, 3, 20, 12, tzinfo=UTC)))
    may = slugs_of(app, factory.posts(1, start=datetime(2024, 5, 2, 12, tzinfo=UTC)))
    factory.posts(1, status=PostStatus.DRAFT)
    html = client.get("/archive").get_data(as_text=True)
    assert re.search(r'href="/archive/2024/3">March 2024</a>\s*<span[^>]*>\(2\)', html)
    assert re.search(r'href="/archive/2024/5">May 2024</a>\s*<span[^>]*>\(1\)', html)
    assert html.index("/archive/2024/5") < html.index("/archive/2024/3"), "newest month first"

    response = client.get("/archive/2024/3")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "March 2024" in page
    assert all(f'href="/post/{slug}"' in page for slug in march)
    assert f'href="/post/{may[0]}"' not in page
    assert "No posts in this month." in client.get("/archive/2023/1").get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/archive/2024/13",
        "/archive/2024/0",
        "/archive/2024/x",
        "/archive/x/1",
        "/archive/1969/5",
        "/archive/99999999999999999999/1",
        "/archive/2024/99999999999999999999",
    ],
)
def test_bad_archive_month_is_404(client, path):
    response = client.get(path)
    assert response.status_code == 404


def test_about_page_shows_the_rendered_about_text(client):
    response = client.get("/about")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'About Test Blog <a class="header-anchor" href="#about-test-blog">#</a></h1>' in html
    assert "This blog is written by owner." in html


# --- the Atom feed ----------------------------------------------------------------------------


def test_feed_is_atom_xml_with_absolute_entry_urls(app, client, factory):
    ids = factory.posts(3, category_id=category_id(app, factory, "Notes"))
    set_title(app, ids[0], "Tom & Jerry <3 “quotes”")
    factory.posts(1, status=PostStatus.DRAFT)
    slugs = slugs_of(app, ids)

    response = client.get("/feed.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}title") == "Test Blog"
    self_link = root.find(f"{ATOM}link[@rel='self']")
    assert self_link is not None and self_link.get("href") == "http://localhost/feed.xml"

    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 3
    assert entries[0].findtext(f"{ATOM}title") == "Tom & Jerry <3 “quotes”"
    for entry, slug, post_id in zip(entries, slugs, ids, strict=True):
        url = f"http://localhost/post/{slug}"
        # the id names the post, not its address: see test_feeds.py
        assert re.fullmatch(
            rf"tag:localhost,\d{{4}}-\d\d-\d\d:post:{post_id}", entry.findtext(f"{ATOM}id")
        )
        assert entry.find(f"{ATOM}link").get("href") == url
        assert entry.find(f"{ATOM}category").get("term") == "Notes"
        assert entry.findtext(f"{ATOM}author/{ATOM}name") == "owner"
        datetime.fromisoformat(entry.findtext(f"{ATOM}published"))


def test_empty_feed_is_still_valid_xml(client):
    response = client.get("/feed.xml")
    root = ET.fromstring(response.data)
    assert root.findall(f"{ATOM}entry") == []
    assert root.findtext(f"{ATOM}updated")


# --- pagination -------------------------------------------------------------------------------


def test_second_page_shows_the_next_ten_posts(app, client, factory):
    slugs = slugs_of(app, factory.posts(25))
    page1 = client.get("/").get_data(as_text=True)
    page2 = client.get("/?page=2").get_data(as_text=True)
    page3 = client.get("/?page=3").get_data(as_text=True)
    assert all(f'href="/post/{s}"' in page1 for s in slugs[:10])
    assert not any(f'href="/post/{s}"' in page1 for s in slugs[10:])
    assert all(f'href="/post/{s}"' in page2 for s in slugs[10:20])
    assert not any(f'href="/post/{s}"' in page2 for s in slugs[:10] + slugs[20:])
    assert all(f'href="/post/{s}"' in page3 for s in slugs[20:])
    assert 'href="/?page=2"' in page1 and 'href="/?page=3"' in page2


@pytest.mark.parametrize(
    "page", ["4", "abc", "0", "-1", "", "1.5", "²", "99999999999999999999", "1e3", " 1"]
)
def test_bad_or_out_of_range_page_is_404_never_500(client, factory, page):
    factory.posts(25)
    response = client.get("/", query_string={"page": page})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "url", ["/category/python", "/tag/flask", "/author/owner", "/archive/2024/3"]
)
def test_listing_pages_reject_bad_page_numbers(app, client, factory, url):
    python = category_id(app, factory, "Python")
    factory.posts(3, category_id=python, tags=["flask"], start=datetime(2024, 3, 9, tzinfo=UTC))
    assert client.get(url).status_code == 200
    for page in ["2", "abc", "0", "-1", "99999999999999999999"]:
        assert client.get(url, query_string={"page": page}).status_code == 404, page


# --- theme toggle -----------------------------------------------------------------------------


def cookie_header(response, name: str) -> str:
    (header,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    return header


def test_theme_toggle_sets_a_long_lived_cookie_and_the_page_uses_it(client):
    assert 'data-bs-theme="light"' in client.get("/").get_data(as_text=True)
    response = client.post("/theme/dark", data={"next": "/about"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/about"
    header = cookie_header(response, "theme")
    assert header.startswith("theme=dark;")
    assert "Max-Age=31536000" in header
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    html = client.get("/about").get_data(as_text=True)
    assert 'data-bs-theme="dark"' in html
    # the toggle now offers the way back
    assert 'action="/theme/light"' in html


def test_theme_back_to_light(client):
    client.set_cookie("theme", "dark")
    response = client.post("/theme/light", data={})
    assert response.headers["Location"] == "/"
    assert 'data-bs-theme="light"' in client.get("/").get_data(as_text=True)


def test_unknown_theme_cookie_falls_back_to_light(client):
    client.set_cookie("theme", '"><script>alert(1)</script>')
    html = client.get("/").get_data(as_text=True)
    assert 'data-bs-theme="light"' in html
    assert "alert(1)" not in html


def test_unknown_theme_is_404(client):
    assert client.post("/theme/blue", data={}).status_code == 404


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/page"},
        {"Referer": "http://localhost.evil.example/"},
    ],
)
def test_theme_refuses_cross_site_posts(client, headers):
    assert client.get("/theme/dark").status_code == 405
    response = client.post("/theme/dark", data={"next": "/about"}, headers=headers)
    assert response.status_code == 400
    assert "Cross-site request refused." in response.get_data(as_text=True)
    assert not [h for h in response.headers.getlist("Set-Cookie") if h.startswith("theme=")]


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin"},
        {"Origin": "http://localhost"},
        {"Referer": "http://localhost/about"},
        {},
    ],
)
def test_theme_accepts_same_origin_posts(client, headers):
    response = client.post("/theme/dark", data={"next": "/about"}, headers=headers)
    assert response.status_code == 302
    assert response.headers["Location"] == "/about"


def test_anonymous_pages_set_no_session_cookie(client, factory):
    ids = factory.posts(2)
    for path in ["/", "/archive", "/about", "/feed.xml", "/category/none", "/post/post-1"]:
        response = client.get(path)
        assert response.status_code in (200, 404), path
        assert not response.headers.getlist("Set-Cookie"), (path, ids)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/archive", "/archive"),
        ("/?page=2", "/?page=2"),
        ("//evil.com", "/"),
        ("https://evil.com/", "/"),
        ("/\\evil.com", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ],
)
def test_theme_next_only_goes_to_local_paths(client, target, expected):
    response = client.post("/theme/dark", data={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == expected


# --- security headers -------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/about", "/archive", "/auth/login", "/no-such-page"])
def test_pages_carry_strict_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    directives = {d.strip().split()[0]: d.strip() for d in csp.split(";")}
    assert directives["script-src"] == "script-src 'self'"
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert directives["object-src"] == "object-src 'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # plain http here


def test_pages_have_no_inline_script_or_handlers(app, client, factory):
    (slug,) = slugs_of(app, factory.posts(1, tags=["x"]))
    login(client)
    for path in ["/", f"/post/{slug}", "/about", "/admin/"]:
        html = client.get(path).get_data(as_text=True)
        # a JSON-LD data block is not script: browsers never run it, and the CSP allows none
        inline = r"<script(?![^>]*\b(?:src=|type=\"application/ld\+json\"))[^>]*>"
        assert not re.search(inline, html), path
        assert not re.search(r"\son[a-z]+=", html), path


def test_each_listing_page_is_its_own_canonical_page(client, factory):
    factory.posts(12)
    first = client.get("/?utm_source=x").get_data(as_text=True)
    assert '<link rel="canonical" href="http://localhost/">' in first
    second = client.get("/?page=2").get_data(as_text=True)
    assert '<link rel="canonical" href="http://localhost/?page=2">' in second
