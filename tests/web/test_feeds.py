"""The feeds: Atom and JSON Feed 1.1, of the blog and of each category, tag and author, read
back by feedparser as a feed reader would."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from support import login, post_form
from writing import HOUR, owner

from myblog.extensions import db
from myblog.models import FeedContent, Post, PostStatus
from myblog.models.types import utcnow
from myblog.services.posts import PostInput, save_post
from myblog.services.site import update_site

ENTRY_ID = re.compile(r"tag:localhost,\d{4}-\d\d-\d\d:post:(\d+)")
BODY = "Intro with a picture.\n\n![a cat](/uploads/cat.png)\n\nAnd a [link](/post/other)."


def atom(client, path: str = "/feed.xml"):
    """The Atom feed as feedparser reads it: well-formed (no bozo)."""
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.mimetype == "application/atom+xml", path
    # as a reader fetching it would read it: with its Content-Type (and charset)
    parsed = feedparser.parse(
        response.data, response_headers={"content-type": response.headers["Content-Type"]}
    )
    assert not parsed.bozo, (path, parsed.get("bozo_exception"))
    return parsed


def json_feed(client, path: str = "/feed.json") -> dict:
    """The JSON feed, checked against what JSON Feed 1.1 requires (feedparser 6 reads no JSON)."""
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.mimetype == "application/feed+json", path
    document = json.loads(response.data)
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(document["title"], str) and document["title"]
    assert isinstance(document["items"], list)
    for item in document["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert isinstance(item.get("content_html", item.get("content_text")), str)
        for field in ("date_published", "date_modified"):
            rfc3339(item[field])
    return document


def rfc3339(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    assert moment.tzinfo is not None, value
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value), value
    return moment


def publish(app, title: str, **fields) -> int:
    fields.setdefault("body", BODY)
    with app.app_context():
        post = save_post(
            PostInput(title=title, status=PostStatus.PUBLISHED, **fields), author=owner()
        )
        return post.id


def set_feed_content(app, content: FeedContent) -> None:
    with app.app_context():
        update_site(title="Test Blog", tagline="Notes", about="", feed_content=content)


# --- the blog's Atom feed ----------------------------------------------------------------------


def test_atom_feed_has_every_required_element(app, client, factory):
    python = factory.category("Python")
    ids = factory.posts(3, category_id=python, tags=["flask"], body="Some **text** here.")
    factory.posts(1, status=PostStatus.DRAFT)
    parsed = atom(client)

    feed = parsed.feed
    assert feed.id == "http://localhost/feed.xml"
    assert feed.title == "Test Blog"
    links = {(link.rel, link.type): link.href for link in feed.links}
    assert links[("self", "application/atom+xml")] == "http://localhost/feed.xml"
    assert links[("alternate", "text/html")] == "http://localhost/"
    assert links[("alternate", "application/feed+json")] == "http://localhost/feed.json"
    updated = rfc3339(feed.updated)

    assert [int(ENTRY_ID.fullmatch(entry.id).group(1)) for entry in parsed.entries] == ids
    for entry in parsed.entries:
        assert entry.title.startswith("Post number")
        assert entry.link.startswith("http://localhost/post/post-")
        assert entry.author == "owner"
        assert entry.author_detail.href == "http://localhost/author/owner"
        assert {tag.term for tag in entry.tags} == {"Python", "flask"}
        assert entry.summary == "Some text here."
        assert "content" not in entry  # summaries, the default
        assert rfc3339(entry.published) <= rfc3339(entry.updated) <= updated
    assert updated == max(rfc3339(entry.updated) for entry in parsed.entries)


def test_an_empty_feed_is_still_a_valid_feed(client):
    parsed = atom(client)
    assert parsed.entries == [] and parsed.feed.title == "Test Blog"
    rfc3339(parsed.feed.updated)
    assert json_feed(client)["items"] == []


def test_entry_ids_stay_the_same_when_a_post_is_edited(app, client):
    post_id = publish(app, "First title", slug="first-title", published_at=utcnow() - 2 * HOUR)
    with app.app_context():
        # written a while ago, so that the edit below is later to the second
        db.session.get(Post, post_id).updated_at = utcnow() - HOUR
        db.session.commit()
    before = atom(client).entries[0]
    json_id = json_feed(client)["items"][0]["id"]

    with app.app_context():
        # a new title, slug, body and date later: still the same entry
        post = db.session.get(Post, post_id)
        data = PostInput(
            title="A better title",
            slug="better",
            body="New words.",
            status=PostStatus.PUBLISHED,
            published_at=post.published_at - timedelta(days=1),
        )
        save_post(data, author=post.author, post=post)
    after = atom(client).entries[0]
    assert after.id == before.id and ENTRY_ID.fullmatch(after.id)
    assert after.title == "A better title" and after.link == "http://localhost/post/better"
    assert rfc3339(after.updated) > rfc3339(before.updated)
    assert json_feed(client)["items"][0]["id"] == json_id == before.id


def test_scheduled_and_draft_posts_stay_out_until_they_are_live(app, client):
    publish(app, "Live")
    with app.app_context():
        soon = utcnow() + timedelta(hours=1)
        data = PostInput(title="Soon", body="x", status=PostStatus.SCHEDULED, published_at=soon)
        save_post(data, author=owner())
        save_post(PostInput(title="Draft", body="x"), author=owner())
    assert [entry.title for entry in atom(client).entries] == ["Live"]
    assert [item["title"] for item in json_feed(client)["items"]] == ["Live"]


def test_the_feed_carries_the_summary_the_author_wrote(app, client):
    publish(app, "Summed up", summary="In one line.")
    assert atom(client).entries[0].summary == "In one line."
    assert json_feed(client)["items"][0]["content_text"] == "In one line."


# --- summaries or whole posts -----------------------------------------------------------------


def test_whole_posts_with_absolute_links_when_the_owner_chooses_them(app, client):
    publish(app, "Cats")
    set_feed_content(app, FeedContent.FULL)

    entry = atom(client).entries[0]
    (content,) = entry.content
    assert content.type == "text/html"
    assert 'src="http://localhost/uploads/cat.png"' in content.value
    assert 'href="http://localhost/post/other"' in content.value
    assert entry.summary == "Intro with a picture. And a link."

    item = json_feed(client)["items"][0]
    assert '<img src="http://localhost/uploads/cat.png"' in item["content_html"]
    assert "content_text" not in item and item["summary"] == "Intro with a picture. And a link."

    set_feed_content(app, FeedContent.SUMMARY)
    assert "content" not in atom(client).entries[0]
    assert "content_html" not in json_feed(client)["items"][0]


def test_the_settings_page_chooses_what_feeds_carry(app, client):
    publish(app, "Cats")
    login(client)
    form = client.get("/admin/settings").get_data(as_text=True)
    assert 'name="feed_content"' in form
    response = post_form(
        client,
        "/admin/settings",
        {"title": "Test Blog", "tagline": "", "about": "", "feed_content": "full"},
    )
    assert response.status_code == 302
    reader = app.test_client()
    assert "uploads/cat.png" in atom(reader).entries[0].content[0].value
    refused = post_form(
        client, "/admin/settings", {"title": "Test Blog", "feed_content": "everything"}
    )
    assert refused.status_code == 200 and "Not a valid choice" in refused.get_data(as_text=True)


# --- JSON Feed 1.1 ------------------------------------------------------------------------------


def test_json_feed_has_the_required_fields(app, client, factory):
    python = factory.category("Python")
    ids = factory.posts(2, category_id=python, tags=["flask", "web"])
    document = json_feed(client)
    assert document["title"] == "Test Blog"
    assert document["home_page_url"] == "http://localhost/"
    assert document["feed_url"] == "http://localhost/feed.json"
    for item, post_id in zip(document["items"], ids, strict=True):
        assert int(ENTRY_ID.fullmatch(item["id"]).group(1)) == post_id
        assert item["url"].startswith("http://localhost/post/")
        assert item["content_text"] == item["summary"] == "Some text here."
        assert rfc3339(item["date_published"]) <= rfc3339(item["date_modified"])
        assert item["authors"] == [{"name": "owner", "url": "http://localhost/author/owner"}]
        assert item["tags"] == ["flask", "web"]
    # the same ids as the Atom feed's
    assert [entry.id for entry in atom(client).entries] == [i["id"] for i in document["items"]]


def test_json_feed_keeps_chinese_as_written(app, client):
    publish(app, "你好，世界", body="这是正文。")
    response = client.get("/feed.json")
    assert "你好，世界".encode() in response.data
    assert json.loads(response.data)["items"][0]["title"] == "你好，世界"


# --- feeds of a category, a tag, an author ------------------------------------------------------


def test_category_tag_and_author_feeds_hold_only_their_posts(app, client, factory):
    python, other = factory.category("Python"), factory.category("Other")
    mine = factory.posts(2, category_id=python, tags=["flask"])
    factory.posts(2, category_id=other, tags=["misc"])
    writer = factory.user("writer")
    theirs = factory.posts(1, author_id=writer.id, category_id=other)

    def ids_in(parsed) -> list[int]:
        return [int(ENTRY_ID.fullmatch(entry.id).group(1)) for entry in parsed.entries]

    for kind, key, title, page, expected in [
        ("category", "python", "Test Blog · Python", "/category/python", mine),
        ("tag", "flask", "Test Blog · #flask", "/tag/flask", mine),
        ("author", "writer", "Test Blog · writer", "/author/writer", theirs),
    ]:
        parsed = atom(client, f"/{kind}/{key}/feed.xml")
        assert parsed.feed.title == title
        assert parsed.feed.id == f"http://localhost/{kind}/{key}/feed.xml"
        assert parsed.feed.link == f"http://localhost{page}"
        assert ids_in(parsed) == expected
        document = json_feed(client, f"/{kind}/{key}/feed.json")
        assert document["title"] == title
        assert [int(ENTRY_ID.fullmatch(i["id"]).group(1)) for i in document["items"]] == expected
        assert document["feed_url"] == f"http://localhost/{kind}/{key}/feed.json"
        assert document["home_page_url"] == f"http://localhost{page}"


@pytest.mark.parametrize(
    "path",
    [
        "/category/nothing/feed.xml",
        "/tag/nothing/feed.json",
        "/author/nobody/feed.xml",
        "/month/2024/feed.xml",
        "/category/python/feed.rss",
    ],
)
def test_feeds_of_what_does_not_exist_are_404(client, factory, path):
    factory.category("Python")
    assert client.get(path).status_code == 404


# --- where readers find them ------------------------------------------------------------------


def test_pages_link_their_feeds_in_the_head(app, client, factory):
    python = factory.category("Python")
    factory.posts(1, category_id=python, tags=["flask"])

    def alternates(path: str) -> set[tuple[str, str]]:
        head = client.get(path).get_data(as_text=True).split("</head>")[0]
        link = r'<link rel="alternate" type="([^"]+)" title="[^"]*" href="([^"]+)">'
        return set(re.findall(link, head))

    site = {("application/atom+xml", "/feed.xml"), ("application/feed+json", "/feed.json")}
    assert alternates("/") == site
    assert alternates("/post/post-1") == site
    for page in ("/category/python", "/tag/flask", "/author/owner"):
        assert alternates(page) == site | {
            ("application/atom+xml", f"{page}/feed.xml"),
            ("application/feed+json", f"{page}/feed.json"),
        }
    # every linked feed answers
    for path in ("/category/python/feed.xml", "/tag/flask/feed.json", "/author/owner/feed.xml"):
        assert client.get(path).status_code == 200


def test_feed_dates_are_utc_to_the_second(app, client):
    when = datetime(2024, 5, 1, 8, 30, 15, 123456, tzinfo=UTC)
    publish(app, "Dated", published_at=when)
    entry = atom(client).entries[0]
    assert entry.published == "2024-05-01T08:30:15+00:00"
    assert json_feed(client)["items"][0]["date_published"] == "2024-05-01T08:30:15+00:00"
