"""The Alembic migrations build exactly the models' schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

import logging

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, inspect, select, text

from myblog import create_app
from myblog.extensions import db
from myblog.models import Category, Post, PostStatus, Profile, User, is_search_table
from myblog.services.accounts import setup_blog

# the search index is not a model: each database's own DDL (myblog/models/search.py)
APP_TABLES = set(db.metadata.tables) | {"post_search"}


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def bare_app(request, tmp_path):
    """An app on an empty database (no tables at all), on each backend."""
    if request.param == "postgresql":
        yield request.getfixturevalue("make_pg_app")()
        return
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite'}"})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def table_names() -> set[str]:
    """The tables, the search index's counted as one (SQLite's FTS5 keeps shadow tables)."""
    names = set(inspect(db.engine).get_table_names())
    return {"post_search" if is_search_table(name) else name for name in names}


def _not_search_index(name, type_, parent_names) -> bool:
    return not (type_ == "table" and is_search_table(name))


def schema_drift() -> list:
    """What `flask db migrate` would generate: differences between the database and the models."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "render_as_batch": True,
                "include_name": _not_search_index,
            },
        )
        return compare_metadata(context, db.metadata)


def current_revision() -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(app: Flask) -> str:
    head = ScriptDirectory(app.extensions["migrate"].directory).get_current_head()
    assert head is not None
    return head


def test_models_and_table_list_agree():
    # guards the tests below: a model added without updating APP_TABLES fails here first
    assert set(db.metadata.tables) | {"post_search"} == APP_TABLES


def test_upgrade_downgrade_upgrade_round_trip(bare_app):
    with bare_app.app_context():
        assert table_names() == set()

        upgrade()
        assert table_names() == APP_TABLES | {"alembic_version"}
        assert current_revision() == head_revision(bare_app)
        assert schema_drift() == []

        downgrade(revision="base")
        # alembic keeps its (now empty) version table; every table of ours is gone
        assert table_names() - {"alembic_version"} == set()
        assert current_revision() is None

        upgrade()
        assert table_names() == APP_TABLES | {"alembic_version"}
        assert schema_drift() == []


def test_drift_check_notices_a_schema_that_differs_from_the_models(bare_app):
    # proves the empty diff above means something: a missing index is reported
    with bare_app.app_context():
        upgrade()
        with db.engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_posts_published_at_id"))
        drift = schema_drift()
        assert [entry[0] for entry in drift] == ["add_index"]
        assert drift[0][1].name == "ix_posts_published_at_id"


def test_migrated_schema_enforces_the_models_constraints(bare_app):
    with bare_app.app_context():
        upgrade()
        owner = setup_blog(
            title="迁移测试", username="owner", email="owner@example.com", password="plum-kettle-42"
        )
        category = Category(name="随笔", slug="sui-bi")
        post = Post(
            title="你好",
            slug="ni-hao",
            body="x",
            status=PostStatus.PUBLISHED,
            author=owner,
            category=category,
        )
        db.session.add(post)
        db.session.commit()
        post_id, owner_id = post.id, owner.id

        # ON DELETE SET NULL and ON DELETE CASCADE come from the migration's foreign keys
        db.session.execute(delete(Category))
        db.session.commit()
        assert db.session.scalar(select(Post.category_id).where(Post.id == post_id)) is None
        db.session.execute(delete(User).where(User.id == owner_id))
        db.session.commit()
        assert db.session.scalar(select(Post.id)) is None
        assert db.session.scalar(select(Profile.id)) is None


def test_auto_migrate_builds_every_table_on_an_empty_sqlite_file(tmp_path):
    # what `uv run flask run` does on a fresh clone (development sets MYBLOG_AUTO_MIGRATE)
    database = tmp_path / "fresh.sqlite"
    settings = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "MYBLOG_AUTO_MIGRATE": True}
    probe = logging.getLogger("myblog.test_migrations_probe")
    apps = [create_app("testing", settings), create_app("testing", settings)]
    try:
        with apps[1].app_context():
            assert table_names() == APP_TABLES | {"alembic_version"}
            assert current_revision() == head_revision(apps[1])
            assert schema_drift() == []
    finally:
        for app in apps:
            with app.app_context():
                db.engine.dispose()
    # Alembic's logging setup must not silence the loggers that existed before it ran
    assert not probe.disabled
    assert not logging.getLogger("flask_wtf.csrf").disabled


def test_session_tokens_are_given_to_existing_accounts(bare_app):
    # 0005 adds users.session_token; accounts made before it each get their own token
    with bare_app.app_context():
        upgrade(revision="0004")
        with db.engine.begin() as conn:
            for name in ("ann", "bob"):
                conn.execute(
                    text(
                        "INSERT INTO users (username, email, password_hash, role, active, "
                        "created_at) VALUES (:n, :e, 'x', 'author', true, CURRENT_TIMESTAMP)"
                    ),
                    {"n": name, "e": f"{name}@example.com"},
                )
        upgrade()
        tokens = db.session.scalars(select(User.session_token)).all()
        assert len(tokens) == 2 and all(tokens) and tokens[0] != tokens[1]
        assert schema_drift() == []
        db.session.remove()
        downgrade(revision="0004")
        assert "session_token" not in {c["name"] for c in inspect(db.engine).get_columns("users")}


def test_the_default_language_becomes_a_locale_and_the_time_zone_starts_at_utc(bare_app):
    # 0015: the Chinese of older versions ('zh') is the zh_CN locale; every blog starts in UTC
    with bare_app.app_context():
        upgrade(revision="0012")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO site (title, tagline, about, about_html, comment_policy, "
                    "language, feed_content) VALUES ('博客', '', '', '', 'trust', 'zh', 'summary')"
                )
            )
        upgrade(revision="0015")
        with db.engine.connect() as conn:
            row = conn.execute(text("SELECT language, timezone FROM site")).one()
        assert tuple(row) == ("zh_CN", "UTC")
        downgrade(revision="0012")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT language FROM site")).scalar_one() == "zh"
        assert "timezone" not in {c["name"] for c in inspect(db.engine).get_columns("site")}
