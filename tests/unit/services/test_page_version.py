"""The content version: every kind of write readers could see replaces it, after its commit."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from myblog.extensions import db
from myblog.models import Category, Comment, CommentStatus, Post, PostStatus, Tag, User
from myblog.models.types import utcnow
from myblog.services import page_version
from myblog.services.comments import moderate
from myblog.services.page_version import FileVersion, Version
from myblog.services.porting.importer import import_file
from myblog.services.posts import PostInput, delete_post, promote_due_posts, save_post
from myblog.services.profiles import ProfileInput, update_profile
from myblog.services.site import update_site
from myblog.services.taxonomy import create_category, delete_term, merge, rename


@pytest.fixture
def app(make_app, tmp_path):
    return make_app(MYBLOG_PAGE_CACHE=True, MYBLOG_PAGE_VERSION_FILE=str(tmp_path / "version"))


def token(app) -> str | None:
    version = app.extensions[page_version.EXTENSION_KEY].read()
    return version.token if version else None


@pytest.fixture
def changes(app, ctx):
    """Call with a write; asserts whether it replaced the version."""

    def check(write, *, bumps: bool = True) -> None:
        before = token(app)
        write()
        assert (token(app) != before) is bumps

    return check


def owner() -> User:
    return db.session.scalars(select(User).where(User.username == "owner")).one()


def new_post(status: PostStatus = PostStatus.PUBLISHED, **fields) -> Post:
    data = PostInput(title="A post", body="Words.", status=status, **fields)
    return save_post(data, author=owner())


def comment(post: Post, status: CommentStatus) -> Comment:
    item = Comment(
        post_id=post.id,
        name="Ann",
        email="ann@example.com",
        body="Hi",
        body_html="<p>Hi</p>",
        status=status,
    )
    db.session.add(item)
    db.session.commit()
    return item


def test_publishing_editing_and_deleting_a_post_replace_the_version(changes):
    changes(new_post)
    post = db.session.scalars(select(Post)).one()
    changes(lambda: save_post(PostInput(title="Renamed", body="More."), author=owner(), post=post))
    changes(lambda: delete_post(post))


def test_approving_and_deleting_comments_replace_it_and_a_pending_one_does_not(changes):
    post = new_post()
    pending: list[Comment] = []
    changes(lambda: pending.append(comment(post, CommentStatus.PENDING)), bumps=False)
    changes(lambda: moderate(owner(), "approve", [pending[0].id]))
    changes(lambda: moderate(owner(), "delete", [pending[0].id]))
    changes(lambda: comment(post, CommentStatus.APPROVED))


def test_taxonomy_changes_replace_it(changes):
    changes(lambda: create_category("Travel"))
    travel = db.session.scalars(select(Category)).one()
    changes(lambda: rename(travel, "Journeys"))
    new_post(tags=["tea", "coffee"])
    tea, coffee = (
        db.session.scalars(select(Tag).where(Tag.name == n)).one() for n in ("tea", "coffee")
    )
    changes(lambda: merge(tea, coffee))
    changes(lambda: delete_term(coffee))


def test_settings_and_profiles_replace_it(changes):
    changes(lambda: update_site(title="New title", tagline="", about=""))
    changes(lambda: update_profile(owner(), ProfileInput(display_name="The Owner")))


def test_a_new_session_token_does_not_replace_it(changes):
    def sign_out_everywhere() -> None:
        owner().session_token = "x" * 32
        db.session.commit()

    changes(sign_out_everywhere, bumps=False)


def test_an_import_and_publish_due_replace_it(changes):
    note = b"---\ntitle: Imported note\n---\nFrom elsewhere.\n"
    changes(lambda: import_file(io.BytesIO(note), "note.md", author=owner()))
    soon = utcnow() + timedelta(hours=1)
    new_post(PostStatus.SCHEDULED, published_at=soon)
    changes(lambda: promote_due_posts(now=soon + timedelta(seconds=1)))


def test_a_rolled_back_write_keeps_the_version(changes):
    def abandoned() -> None:
        db.session.add(Category(name="Never", slug="never"))
        db.session.flush()
        db.session.rollback()
        db.session.commit()

    changes(abandoned, bumps=False)


def test_the_version_knows_when_the_next_scheduled_post_falls_due(app, ctx):
    later = utcnow() + timedelta(hours=2)
    new_post(published_at=utcnow() + timedelta(hours=5))
    new_post(published_at=later)
    version = app.extensions[page_version.EXTENSION_KEY].read()
    assert version.due == pytest.approx(later.timestamp())
    assert not version.stale(later.timestamp() - 1) and version.stale(later.timestamp())


def test_the_version_file_is_read_again_only_when_it_changed(tmp_path):
    store = FileVersion(tmp_path / "v")
    assert store.read() is None
    store.write(Version("abc", 12.5))
    assert store.read() == Version("abc", 12.5)
    other = FileVersion(tmp_path / "v")  # another process
    other.write(Version("def", None))
    assert store.read() == Version("def", None)
    assert Version.load("garbage x") is None and Version.load(b"") is None
