"""Importing a batch: each item whole or not at all, never twice, a dry run that changes nothing,
authors, comments, images stored as uploads, no mail to subscribers."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import func, select

from myblog.extensions import db
from myblog.models import (
    Category,
    Comment,
    CommentStatus,
    ImportRecord,
    OutboxEmail,
    Post,
    PostStatus,
    Subscriber,
    Upload,
    User,
)
from myblog.models.types import utcnow
from myblog.services.announcements import announce_due_posts
from myblog.services.porting import importer
from myblog.services.porting.importer import run_import
from myblog.services.porting.reading import read_path
from myblog.services.porting.report import Result
from myblog.services.posts import delete_post

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "porting"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def results(report) -> dict[str, Result]:
    return {o.item: o.result for o in report.outcomes}


def post(slug: str) -> Post:
    return db.session.scalars(select(Post).where(Post.slug == slug)).one()


def upload_files() -> list[str]:
    folder = Path(current_app.config["MYBLOG_UPLOAD_DIR"])
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_hugo_site_moves_in_with_its_images(ctx):
    report = run_import(read_path(FIXTURES / "hugo"))
    assert report.counts()[Result.IMPORTED] == 6 and report.failed == 0
    trip = post("my-trip")
    uploads = {u.original_name: u.filename for u in db.session.scalars(select(Upload))}
    assert sorted(uploads) == ["beach.png", "logo.png", "sunset.png"]
    assert f'![The beach](/uploads/{uploads["beach.png"]} "At noon")' in trip.body
    assert f'figure src="/uploads/{uploads["sunset.png"]}"' in trip.body
    assert f"/uploads/{uploads['logo.png']}" in post("kyoto").body
    assert "![gone](./missing.png)" in post("kyoto").body  # left as it was, with a note
    assert upload_files() == sorted(uploads.values())
    hello = post("hello-hugo")
    assert (hello.category.name, [t.name for t in hello.tags]) == (
        "Programming",
        ["Tools", "notes", "python"],
    )
    assert hello.summary == "The first post, written in Hugo." and hello.excerpt == hello.summary
    assert "<script" not in hello.body_html  # rendered and sanitised like any post
    assert post("future-post").status is PostStatus.SCHEDULED


def test_importing_twice_creates_nothing_twice(ctx):
    run_import(read_path(FIXTURES / "hugo"))
    before = (count(Post), count(Upload), count(Category), len(upload_files()))
    again = run_import(read_path(FIXTURES / "hugo"))
    assert (count(Post), count(Upload), count(Category), len(upload_files())) == before
    assert again.counts()[Result.IMPORTED] == 0
    assert results(again)["content/posts/my-trip/index.md"] is Result.SKIPPED
    assert "imported before, as “my-trip”" in [o.detail for o in again.outcomes]


def test_a_post_deleted_since_is_imported_again(ctx):
    run_import(read_path(FIXTURES / "hugo"))
    delete_post(post("kyoto"))
    again = run_import(read_path(FIXTURES / "hugo"))
    assert results(again)["content/travel/kyoto.md"] is Result.IMPORTED
    assert count(Upload) == 3  # its image was still there: reused, not stored twice


def test_a_dry_run_changes_nothing_and_says_what_would_happen(ctx):
    rows = {model: count(model) for model in (Post, Upload, User, Comment, ImportRecord)}
    report = run_import(read_path(FIXTURES / "wordpress.xml"), dry_run=True)
    assert {model: count(model) for model in rows} == rows and upload_files() == []
    assert report.summary() == "Dry run, nothing was changed: 7 would import, 3 skipped, 0 failed."
    assert report.counts()[Result.WOULD_IMPORT] == 7
    hugo = run_import(read_path(FIXTURES / "hugo"), dry_run=True)
    notes = [n for o in hugo.outcomes for n in o.notes]
    assert "image “beach.png” would be stored as an upload" in notes
    assert upload_files() == [] and count(Post) == rows[Post]


def test_a_dry_run_sees_slugs_the_run_itself_would_take(ctx):
    report = run_import(read_path(FIXTURES / "notes"), dry_run=True)
    assert report.counts()[Result.WOULD_IMPORT] == 2 and report.failed == 2


def test_a_taken_slug_given_by_the_source_is_skipped_one_made_from_a_name_is_suffixed(ctx):
    run_import(read_path(FIXTURES / "hugo"))
    # the posts stay but are no longer known as imported: as if written here by hand
    db.session.execute(ImportRecord.__table__.delete())
    db.session.commit()
    again = run_import(read_path(FIXTURES / "hugo"))
    by_item = {o.item: o for o in again.outcomes}
    assert by_item["content/posts/first-post.md"].result is Result.SKIPPED
    assert (
        by_item["content/posts/first-post.md"].detail
        == "another post has the slug “hello-hugo” already"
    )
    assert by_item["content/posts/toml-note.md"].detail == "as “toml-note-2”"


def test_a_failing_item_leaves_no_half_post_no_upload_and_no_file(ctx, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(importer, "_import_comments", broken)
    report = run_import(read_path(FIXTURES / "hugo"))
    assert report.failed == 6
    assert {o.detail for o in report.outcomes if o.result is Result.FAILED} == {
        "an unexpected error (written to the log)"
    }
    assert count(Post) == 0 and count(Upload) == 0 and count(ImportRecord) == 0
    assert count(Category) == 0
    assert upload_files() == []  # the images each post had stored were removed again


def test_wordpress_authors_comments_and_statuses(ctx):
    report = run_import(read_path(FIXTURES / "wordpress.xml"))
    assert report.failed == 0
    alice = db.session.scalars(select(User).where(User.username == "alice")).one()
    assert alice.display_name == "Alice Liddell" and not alice.check_password("")
    assert count(User) == 2  # "owner" matched the blog's owner by email
    classic = post("a-classic-post")
    assert classic.author_id == alice.id
    assert classic.published_at.isoformat() == "2019-05-01T09:30:00+00:00"
    assert classic.updated_at.isoformat() == "2019-06-01T09:30:00+00:00"
    assert "onerror" not in classic.body_html and "<script" not in classic.body_html
    comments = {c.name: c for c in db.session.scalars(select(Comment))}
    assert {name: c.status for name, c in comments.items()} == {
        "Bob": CommentStatus.APPROVED,
        "Alice Liddell": CommentStatus.APPROVED,
        "Carol": CommentStatus.PENDING,
        "Cheap pills": CommentStatus.SPAM,
    }
    assert comments["Alice Liddell"].parent_id == comments["Bob"].id
    assert comments["Alice Liddell"].author_id == alice.id and comments["Bob"].author_id is None
    assert post("about-me").category.name == "Pages"
    assert post("ni-hao-shi-jie").title == "你好，世界"
    assert {post(s).status for s in ("unfinished-draft", "just-for-me")} == {PostStatus.DRAFT}
    assert post("coming-soon").status is PostStatus.SCHEDULED


def test_moving_in_mails_no_subscriber(ctx):
    db.session.add(Subscriber(email="reader@example.com", confirmed_at=utcnow()))
    db.session.commit()
    run_import(read_path(FIXTURES / "ghost.json"))
    assert count(OutboxEmail) == 0
    assert announce_due_posts() == []  # nor later: live posts count as announced
    assert post("ghost-post").announced_at is not None
    assert post("draft-in-ghost").announced_at is None


def test_ghost_authors_and_tags(ctx):
    run_import(read_path(FIXTURES / "ghost.json"))
    grace = db.session.scalars(select(User).where(User.username == "grace")).one()
    ghost = post("ghost-post")
    assert ghost.author_id == grace.id and grace.profile.bio == "Writes compilers."
    assert [t.name for t in ghost.tags] == ["Ghost", "Writing"]
    assert ghost.created_at.isoformat() == "2023-01-01T10:00:00+00:00"


def test_an_unknown_author_falls_to_the_importing_user(ctx, factory):
    writer = factory.user("writer")
    source = FIXTURES / "hugo"
    report = run_import(read_path(source), author=db.session.merge(writer))
    assert post("hello-hugo").author.username == "owner"  # named in its front matter
    assert post("toml-note").author.username == "writer"
    assert report.failed == 0


def test_without_an_owner_or_an_author_a_post_cannot_be_imported(make_app):
    app = make_app(setup=False)
    with app.app_context():
        report = run_import(read_path(FIXTURES / "jekyll"))
        assert report.failed == 3 and count(Post) == 0
        assert {o.detail for o in report.outcomes} == {
            "nobody to write it: create the owner first (flask create-admin)"
        }


@pytest.mark.parametrize("name", ["wordpress.xml", "ghost.json", "hugo", "jekyll", "notes"])
def test_every_fixture_imports_without_an_unexpected_error(ctx, name):
    report = run_import(read_path(FIXTURES / name))
    assert "an unexpected error (written to the log)" not in {o.detail for o in report.outcomes}


def test_overlong_names_are_cut_to_what_the_blog_keeps(ctx, tmp_path):
    folder = tmp_path / ("很长的文件夹名字" * 10)
    folder.mkdir()
    (folder / "note.md").write_text(f"---\ntitle: {'T' * 300}\n---\nBody\n")
    report = run_import(read_path(tmp_path))
    assert report.failed == 0
    imported = db.session.scalars(select(Post)).one()
    assert len(imported.title) == 200 and len(imported.category.name) == 60


def _search_titles(raw: str, *, now=None) -> list[str]:
    from myblog.services.search import search_posts

    return [hit.title for hit in search_posts(raw, page=1, per_page=50, now=now).hits]


def test_imported_posts_are_searchable_and_a_failed_item_leaves_no_entry(ctx, monkeypatch):
    from sqlalchemy import text

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(importer, "_import_comments", broken)
    run_import(read_path(FIXTURES / "hugo"))
    # each item's transaction was rolled back: its index entry with it
    assert db.session.execute(text("SELECT count(*) FROM post_search")).scalar_one() == 0
    monkeypatch.undo()
    run_import(read_path(FIXTURES / "hugo"))
    assert _search_titles("hugo") == ["Hello from Hugo"]
    # drafts and posts not yet due are indexed, but not found by the public
    assert _search_titles("idea") == []
    assert db.session.execute(text("SELECT count(*) FROM post_search")).scalar_one() == count(Post)
    run_import(read_path(FIXTURES / "hugo"))  # again: nothing twice
    assert _search_titles("hugo") == ["Hello from Hugo"]
