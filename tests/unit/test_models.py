"""The data model: reprs, relationships both ways, passwords, UTC timestamps, ON DELETE rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError

from myblog.config import ProductionConfig, TestingConfig
from myblog.extensions import db
from myblog.models import Category, Post, PostStatus, Profile, Role, Site, Tag, Upload, User


def make_user(username: str = "alice", role: Role = Role.AUTHOR, **hashing: str) -> User:
    user = User(username=username, email=f"{username}@example.com", role=role)
    # the testing config's cheap method, unless a test asks for the default
    user.set_password(
        "plum-kettle-42", **(hashing or {"method": TestingConfig.MYBLOG_PASSWORD_HASH})
    )
    user.profile = Profile(display_name=username.title())
    db.session.add(user)
    return user


def make_post(slug: str, author: User, **fields) -> Post:
    post = Post(title=slug.title(), slug=slug, author=author, **fields)
    db.session.add(post)
    return post


def test_reprs(ctx):
    user = make_user("alice", Role.ADMIN)
    category = Category(name="Notes", slug="notes")
    tag = Tag(name="Flask", slug="flask")
    post = make_post("hello", user, category=category, tags=[tag], status=PostStatus.PUBLISHED)
    upload = Upload(filename="ab12.webp", content_type="image/webp", size=10, width=640, height=480)
    upload.uploader = user
    db.session.add(upload)
    db.session.commit()
    assert repr(user) == f"<User {user.id} 'alice' admin>"
    assert repr(user.profile) == f"<Profile of user {user.id} 'Alice'>"
    assert repr(post) == f"<Post {post.id} 'hello' published>"
    assert repr(category) == f"<Category {category.id} 'notes'>"
    assert repr(tag) == f"<Tag {tag.id} 'flask'>"
    assert repr(upload) == "<Upload 'ab12.webp' 640x480>"
    assert repr(db.session.scalars(select(Site)).one()) == "<Site 'Test Blog'>"


def test_defaults_are_filled_per_row(ctx):
    user = make_user()
    first, second = make_post("one", user), make_post("two", user)
    db.session.commit()
    assert first.status is PostStatus.DRAFT and first.allow_comments is True
    assert first.body == "" and first.published_at is None
    assert user.role is Role.AUTHOR and user.active is True
    # callables, not one timestamp frozen at import time
    assert first.created_at <= second.created_at
    assert datetime.now(UTC) - first.created_at < timedelta(minutes=5)


def test_user_profile_one_to_one_both_ways(ctx):
    user = make_user()
    assert user.profile.user is user  # back_populates, before any flush
    db.session.commit()
    profile = db.session.scalars(select(Profile).where(Profile.user_id == user.id)).one()
    assert profile is user.profile and profile.user is user
    assert user.display_name == "Alice"
    user.profile.display_name = None
    assert user.display_name == "alice"


def test_a_user_has_at_most_one_profile(ctx):
    user = make_user()
    db.session.commit()
    db.session.add(Profile(user_id=user.id, display_name="twin"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_post_author_and_write_only_user_posts(ctx):
    alice, bob = make_user("alice"), make_user("bob")
    post = make_post("by-alice", alice)
    bob.posts.add(Post(title="By Bob", slug="by-bob"))
    db.session.commit()
    assert post.author_id == alice.id
    assert db.session.scalars(alice.posts.select()).all() == [post]
    (bobs,) = db.session.scalars(bob.posts.select()).all()
    assert bobs.slug == "by-bob" and bobs.author is bob
    # unbounded: the collection is never loaded whole by accident
    with pytest.raises(TypeError):
        list(alice.posts)  # type: ignore[call-overload]


def test_post_category_both_ways(ctx):
    user = make_user()
    notes = Category(name="Notes", slug="notes")
    post = make_post("filed", user, category=notes)
    make_post("unfiled", user)
    db.session.commit()
    assert post.category is notes and post.category_id == notes.id
    assert [p.slug for p in db.session.scalars(notes.posts.select())] == ["filed"]
    other = Category(name="Other", slug="other")
    db.session.add(other)
    other.posts.add(post)
    db.session.commit()
    db.session.refresh(post)
    assert post.category is other
    assert db.session.scalars(notes.posts.select()).all() == []


def test_post_tags_many_to_many_both_ways(ctx):
    user = make_user()
    zebra, apple = Tag(name="zebra", slug="zebra"), Tag(name="apple", slug="apple")
    first = make_post("first", user, tags=[zebra, apple])
    second = make_post("second", user)
    db.session.commit()
    apple.posts.add(second)
    db.session.commit()
    db.session.expire_all()
    assert [t.name for t in first.tags] == ["apple", "zebra"]  # ordered by name
    assert [t.name for t in second.tags] == ["apple"]
    assert {p.slug for p in db.session.scalars(apple.posts.select())} == {"first", "second"}
    assert [p.slug for p in db.session.scalars(zebra.posts.select())] == ["first"]


def test_passwords_are_salted_scrypt_hashes(ctx):
    user = make_user(method=ProductionConfig.MYBLOG_PASSWORD_HASH)
    assert user.password_hash.startswith("scrypt:")
    assert "plum-kettle-42" not in user.password_hash
    assert user.check_password("plum-kettle-42")
    assert not user.check_password("password124")
    assert not user.check_password("")
    other = make_user("bob", method=ProductionConfig.MYBLOG_PASSWORD_HASH)
    assert other.password_hash != user.password_hash  # same password, different salt


def test_role_properties(ctx):
    assert make_user("o", Role.OWNER).is_admin
    assert make_user("a", Role.ADMIN).is_admin
    author = make_user("w", Role.AUTHOR)
    db.session.flush()
    assert not author.is_admin and author.is_active
    author.active = False
    assert not author.is_active


def test_timestamps_come_back_timezone_aware_utc(ctx):
    user = make_user()
    shanghai = timezone(timedelta(hours=8))
    aware = make_post("aware", user, published_at=datetime(2024, 4, 1, 7, 30, tzinfo=shanghai))
    naive = make_post("naive", user, published_at=datetime(2024, 3, 31, 23, 30))
    db.session.commit()
    db.session.expire_all()
    for post in (aware, naive):
        assert post.published_at == datetime(2024, 3, 31, 23, 30, tzinfo=UTC)
        assert post.published_at.utcoffset() == timedelta(0)
        assert post.created_at.tzinfo is not None
    # stored as UTC wall time, so SQL comparisons and ordering agree with Python's
    raw = db.session.scalar(text("SELECT published_at FROM posts WHERE slug = 'aware'"))
    assert str(raw).startswith("2024-03-31 23:30:00")


def test_deleting_a_user_deletes_the_profile_and_posts(ctx):
    user = make_user()
    make_post("mine", user)
    db.session.commit()
    user_id = user.id
    db.session.delete(user)
    db.session.commit()
    assert db.session.scalars(select(Profile).where(Profile.user_id == user_id)).all() == []
    assert db.session.scalars(select(Post)).all() == []


def test_foreign_keys_cascade_in_the_database(ctx):
    # a bulk DELETE bypasses the ORM: ON DELETE CASCADE must do it (SQLite foreign_keys=ON)
    assert db.session.scalar(text("PRAGMA foreign_keys")) == 1
    user = make_user()
    make_post("mine", user, tags=[Tag(name="t", slug="t")])
    db.session.commit()
    user_id = user.id
    db.session.execute(delete(User).where(User.id == user_id))
    db.session.commit()
    assert db.session.scalars(select(Profile).where(Profile.user_id == user_id)).all() == []
    assert db.session.scalars(select(Post)).all() == []
    assert db.session.scalar(text("SELECT count(*) FROM post_tags")) == 0
    assert db.session.scalar(select(Tag.name)) == "t"  # the tag itself stays


def test_deleting_a_category_uncategorises_its_posts(ctx):
    user = make_user()
    notes, misc = Category(name="Notes", slug="notes"), Category(name="Misc", slug="misc")
    first = make_post("first", user, category=notes)
    second = make_post("second", user, category=misc)
    db.session.commit()
    db.session.execute(delete(Category).where(Category.id == notes.id))  # ON DELETE SET NULL
    db.session.delete(misc)  # through the ORM as well
    db.session.commit()
    db.session.expire_all()
    assert first.category_id is None and first.category is None
    assert second.category_id is None
    assert len(db.session.scalars(select(Post)).all()) == 2


@pytest.mark.parametrize("model", [Post, Category, Tag])
def test_slugs_are_unique(ctx, model):
    user = make_user()
    for name in ("First", "Second"):
        row = model(title=name, author=user) if model is Post else model(name=name)
        row.slug = "same"
        db.session.add(row)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_usernames_and_emails_are_unique(ctx):
    make_user("alice")
    db.session.commit()
    twin = User(username="alice", email="other@example.com")
    twin.set_password("plum-kettle-42", method=TestingConfig.MYBLOG_PASSWORD_HASH)
    db.session.add(twin)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
