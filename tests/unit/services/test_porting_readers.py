"""The readers: Hugo, Jekyll and plain Markdown folders, WordPress (WXR) and Ghost exports."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from myblog.models import CommentStatus, PostStatus
from myblog.services.porting.ghost import read_ghost
from myblog.services.porting.images import image_refs, rewrite_images
from myblog.services.porting.items import PAGES_CATEGORY, SourceError
from myblog.services.porting.markdown_files import read_markdown
from myblog.services.porting.report import Result
from myblog.services.porting.sources import FolderFiles, Limits
from myblog.services.porting.wordpress import read_wordpress

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "porting"
LIMITS = Limits(total=1 << 26, per_file=1 << 23, entries=1000, ratio=100, image=1 << 20)


def posts_by_key(batch):
    return {item.key: item for item in batch.posts}


def outcomes(batch):
    return {o.item: (o.result, o.detail) for o in batch.problems}


# -- Markdown folders ---------------------------------------------------------------------------


def test_a_hugo_site():
    batch = read_markdown(FolderFiles(FIXTURES / "hugo", LIMITS))
    assert batch.kind == "Hugo site"
    posts = posts_by_key(batch)
    assert sorted(posts) == [
        "posts/draft.md",
        "posts/first-post.md",
        "posts/future-post.md",
        "posts/my-trip/index.md",
        "posts/toml-note.md",
        "travel/kyoto.md",
    ]
    assert outcomes(batch) == {
        "content/_index.md": (Result.SKIPPED, "a Hugo section page, not a post")
    }
    first = posts["posts/first-post.md"]
    assert (first.title, first.slug, first.category) == (
        "Hello from Hugo",
        "hello-hugo",
        "Programming",
    )
    assert first.tags == ["python", "notes", "Tools"]  # the second category becomes a tag
    assert first.summary == "The first post, written in Hugo."
    assert first.published_at == datetime(2020, 2, 2, 20, 5, 6, tzinfo=UTC)
    assert first.updated_at == datetime(2020, 3, 1, tzinfo=UTC)
    assert first.status is PostStatus.PUBLISHED and first.author == "owner"
    assert posts["posts/toml-note.md"].tags == ["toml"]
    assert posts["posts/future-post.md"].status is PostStatus.SCHEDULED
    draft = posts["posts/draft.md"]
    assert draft.status is PostStatus.DRAFT and draft.published_at is None
    # a folder under the content root is a category; "posts" is only Hugo's section
    assert posts["travel/kyoto.md"].category == "travel"
    assert posts["posts/first-post.md"].slug_base == "first-post"


def test_a_hugo_page_bundle_and_its_images():
    batch = read_markdown(FolderFiles(FIXTURES / "hugo", LIMITS))
    trip = posts_by_key(batch)["posts/my-trip/index.md"]
    assert trip.slug_base == "my-trip" and trip.category == ""
    assert [(i.ref, i.path) for i in trip.images] == [
        ("beach.png", "content/posts/my-trip/beach.png"),
        ("sunset.png", "content/posts/my-trip/sunset.png"),  # the figure shortcode's src
    ]
    kyoto = posts_by_key(batch)["travel/kyoto.md"]
    assert [(i.ref, i.path) for i in kyoto.images] == [
        ("/images/logo.png", "static/images/logo.png"),  # from Hugo's static folder
        ("./missing.png", ""),  # named, but not in the folder
    ]


def test_a_jekyll_site_takes_date_and_slug_from_the_file_name():
    batch = read_markdown(FolderFiles(FIXTURES / "jekyll", LIMITS))
    assert batch.kind == "Jekyll site"
    posts = posts_by_key(batch)
    assert sorted(posts) == [  # about.md is a page of the site, not a post
        "_drafts/idea.md",
        "_posts/2021-03-04-hello-jekyll.md",
        "_posts/2021-05-06-no-front-matter.md",
    ]
    hello = posts["_posts/2021-03-04-hello-jekyll.md"]
    assert hello.slug_base == "hello-jekyll"
    assert hello.published_at == datetime(2021, 3, 4, tzinfo=UTC)
    assert (hello.category, hello.tags) == ("life", ["jekyll", "ruby", "travel"])
    assert "{{" not in hello.body and [i.path for i in hello.images] == ["assets/pic.png"]
    bare = posts["_posts/2021-05-06-no-front-matter.md"]
    assert bare.title == "没有前言的笔记"
    assert bare.body == "这篇笔记没有前言，标题来自第一个标题。\n"  # the heading is not repeated
    assert posts["_drafts/idea.md"].status is PostStatus.DRAFT


def test_a_notes_folder_with_a_gbk_note_and_broken_files():
    files = FolderFiles(FIXTURES / "notes", LIMITS)
    batch = read_markdown(files)
    posts = posts_by_key(batch)
    gbk = posts["gbk-note.md"]
    assert gbk.title == "读书笔记" and "学而时习之" in gbk.body
    assert gbk.notes == ["read as GB18030: the file is not UTF-8"]
    assert gbk.slug_base == ""  # a plain note's slug comes from its title
    day = posts["日记/first-day.md"]
    assert (day.title, day.category) == ("first day", "日记")
    # no date anywhere: the file's own time
    assert day.published_at == files.entries["日记/first-day.md"].mtime
    assert outcomes(batch) == {
        "binary.md": (Result.FAILED, "a binary file, not text"),
        "broken-front-matter.md": (Result.FAILED, "malformed YAML front matter (line 3)"),
    }


def test_image_links_are_rewritten_where_they_stand():
    body = '![a](x.png "t") <img src="x.png"> {{< figure src="x.png" >}}\n[ref]: x.png\n![b](y.png)'
    refs = image_refs(body, folder="", files={"x.png"})
    assert [(r.ref, r.path) for r in refs] == [("x.png", "x.png"), ("y.png", "")]
    new = rewrite_images(body, {"x.png": "/uploads/1.png"}.get)
    assert new.count("/uploads/1.png") == 4 and "![b](y.png)" in new


def test_paths_leading_out_of_the_source_name_nothing():
    refs = image_refs(
        "![a](../../etc/passwd.png) ![b](https://x.org/b.png)", folder="n", files={"x"}
    )
    assert [(r.ref, r.path) for r in refs] == [("../../etc/passwd.png", "")]


# -- WordPress ----------------------------------------------------------------------------------


def test_a_wordpress_export():
    batch = read_wordpress((FIXTURES / "wordpress.xml").read_bytes())
    assert batch.kind == "WordPress export (WXR 1.2)" and batch.notes == []
    assert batch.source == "wordpress:https://wp.example.org"
    assert [(u.username, u.email, u.display_name) for u in batch.users] == [
        ("alice", "alice@example.org", "Alice Liddell"),
        ("owner", "owner@example.com", "The Owner"),
    ]
    posts = posts_by_key(batch)
    assert {key: (p.status, p.category) for key, p in posts.items()} == {
        "10": (PostStatus.PUBLISHED, "Travel"),
        "11": (PostStatus.PUBLISHED, ""),  # "Uncategorized" is no category
        "12": (PostStatus.PUBLISHED, PAGES_CATEGORY),  # a page
        "13": (PostStatus.DRAFT, ""),
        "14": (PostStatus.SCHEDULED, ""),
        "15": (PostStatus.DRAFT, ""),  # private
    }
    assert outcomes(batch) == {
        "post 16 “Thrown away”": (Result.SKIPPED, "in the WordPress trash"),
        "attachment 17 “photo”": (Result.SKIPPED, "an attachment: its file stays on the old host"),
    }
    assert posts["15"].notes == ["private in WordPress: imported as a draft"]
    assert posts["11"].slug == "你好，世界" and posts["11"].allow_comments is False
    assert posts["13"].published_at is None and posts["13"].slug == ""


def test_a_wordpress_post_body_and_comments():
    post = posts_by_key(read_wordpress((FIXTURES / "wordpress.xml").read_bytes()))["10"]
    assert post.body.startswith("First paragraph with **bold** text  \nand a line break.\n\n")
    assert "[a link](https://example.com)" in post.body and "- one\n- two" in post.body
    assert "[caption" not in post.body and "alert(" not in post.body
    assert post.summary == "A short summary."
    assert (post.author, post.tags) == ("alice", ["Japan"])
    assert [(c.key, c.parent_key, c.status, c.author) for c in post.comments] == [
        ("100", None, CommentStatus.APPROVED, ""),
        ("102", "100", CommentStatus.APPROVED, "alice"),  # a reply, by a user of the blog
        ("103", None, CommentStatus.PENDING, ""),
        ("104", None, CommentStatus.SPAM, ""),
    ]
    assert post.notes == ["pingbacks, trackbacks and trashed comments left out: 1"]
    code = posts_by_key(read_wordpress((FIXTURES / "wordpress.xml").read_bytes()))["11"].body
    assert '```python\nprint("你好")\n```' in code


def test_an_unknown_wxr_version_is_read_with_a_warning():
    raw = (
        (FIXTURES / "wordpress.xml")
        .read_bytes()
        .replace(b">1.2</wp:wxr_version>", b">9.9</wp:wxr_version>")
    )
    batch = read_wordpress(raw)
    assert len(batch.posts) == 6
    assert batch.notes == [
        "WXR version 9.9 is not one this importer knows (1.0, 1.1, 1.2): read as 1.2; "
        "check the result."
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"<rss><channel><title>Just RSS</title></channel></rss>", "not a WordPress export"),
        (b"<rss><channel>", "cannot be read"),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">'
            b'<!ENTITY b "&a;&a;&a;">]><rss>&b;</rss>',
            "cannot be read",
        ),
    ],
)
def test_what_is_not_a_wordpress_export_is_refused(raw, message):
    with pytest.raises(SourceError, match=message):
        read_wordpress(raw)


# -- Ghost --------------------------------------------------------------------------------------


def test_a_ghost_export():
    batch = read_ghost((FIXTURES / "ghost.json").read_bytes())
    assert batch.kind == "Ghost export (Ghost 5.74.0)" and batch.notes == []
    assert [(u.key, u.username, u.email) for u in batch.users] == [
        ("6500000000000000000000u1", "grace", "grace@example.org")
    ]
    posts = {item.slug: item for item in batch.posts}
    post = posts["ghost-post"]
    assert post.tags == ["Ghost", "Writing"]  # in Ghost's order, the internal tag left out
    assert post.summary == "An excerpt written by hand."
    assert post.author == "6500000000000000000000u1"
    assert "Written in *Ghost*." in post.body and "## A heading" in post.body
    assert post.published_at == datetime(2023, 1, 2, 10, tzinfo=UTC)
    assert posts["members-only"].status is PostStatus.DRAFT
    assert posts["members-only"].notes == ["only for paid in Ghost: imported as a draft"]
    assert posts["colophon"].category == PAGES_CATEGORY
    assert posts["draft-in-ghost"].body == "Plain text only."


def test_an_old_ghost_export_without_db_and_with_author_ids():
    document = {
        "meta": {"version": "0.11.14"},
        "data": {
            "posts": [
                {
                    "id": 7,
                    "title": "Old",
                    "slug": "old",
                    "html": "<p>x</p>",
                    "page": 1,
                    "status": "published",
                    "author_id": 1,
                    "published_at": 1388534400000,
                }
            ],
            "users": [{"id": 1, "name": "Ada", "slug": "ada", "email": "ada@example.org"}],
        },
    }
    batch = read_ghost(json.dumps(document).encode())
    assert "Ghost 0.11.14 is not a version this importer knows" in batch.notes[0]
    [post] = batch.posts
    assert (post.category, post.author) == (PAGES_CATEGORY, "1")
    assert post.published_at == datetime(2014, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("raw", [b"{not json", b'{"db": [{"data": {}}]}', b"[1, 2]"])
def test_what_is_not_a_ghost_export_is_refused(raw):
    with pytest.raises(SourceError):
        read_ghost(raw)
