"""The flask commands: initdb, create-admin, forge, render-posts, publish-due; shell and routes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask.cli import routes_command
from sqlalchemy import func, inspect, select, text, update

from myblog import create_app
from myblog.extensions import db
from myblog.models import (
    Category,
    Post,
    PostStatus,
    Profile,
    Role,
    Site,
    Tag,
    User,
    is_search_table,
)
from myblog.models.types import utcnow
from myblog.services.accounts import setup_blog

APP_TABLES = set(db.metadata.tables) | {"post_search"}


@pytest.fixture
def bare_app(tmp_path):
    """An app on a database with no tables yet, as on a fresh clone."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'cli.sqlite'}"})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def tables(app) -> set[str]:
    with app.app_context():
        names = inspect(db.engine).get_table_names()
        # the search index's FTS5 table keeps shadow tables: counted as the one table
        return {"post_search" if is_search_table(name) else name for name in names}


def test_initdb_creates_the_tables(bare_app):
    assert tables(bare_app) == set()
    result = bare_app.test_cli_runner().invoke(args=["initdb"])
    assert result.exit_code == 0, result.output
    assert "Database is ready." in result.output
    assert tables(bare_app) == APP_TABLES | {"alembic_version"}
    # running it again is harmless
    again = bare_app.test_cli_runner().invoke(args=["initdb"])
    assert again.exit_code == 0, again.output


@pytest.fixture
def migrated_blog(bare_app):
    runner = bare_app.test_cli_runner()
    assert runner.invoke(args=["initdb"]).exit_code == 0
    with bare_app.app_context():
        setup_blog(title="Blog", username="owner", email="o@example.com", password="plum-kettle-42")
    return bare_app


def test_initdb_drop_asks_first_and_keeps_the_data_on_no(migrated_blog):
    result = migrated_blog.test_cli_runner().invoke(args=["initdb", "--drop"], input="n\n")
    assert result.exit_code == 1
    assert "Continue?" in result.output and "Aborted" in result.output
    assert count(migrated_blog, User) == 1
    assert count(migrated_blog, Site) == 1


def test_initdb_drop_yes_starts_over(migrated_blog):
    result = migrated_blog.test_cli_runner().invoke(args=["initdb", "--drop", "--yes"])
    assert result.exit_code == 0, result.output
    assert "Continue?" not in result.output
    assert "Dropped all tables." in result.output and "Database is ready." in result.output
    assert tables(migrated_blog) == APP_TABLES | {"alembic_version"}
    assert count(migrated_blog, User) == 0
    assert count(migrated_blog, Site) == 0


def test_initdb_drop_confirmed_interactively(migrated_blog):
    result = migrated_blog.test_cli_runner().invoke(args=["initdb", "--drop"], input="y\n")
    assert result.exit_code == 0, result.output
    assert count(migrated_blog, User) == 0


def test_create_admin_sets_up_the_blog_then_adds_admins(make_app):
    app = make_app(setup=False)
    runner = app.test_cli_runner()
    args = ["create-admin", "--username", "alice", "--email", "Alice@Example.com"]
    first = runner.invoke(args=[*args, "--password", "s3cret-pass", "--title", "我的博客"])
    assert first.exit_code == 0, first.output
    assert "Created owner alice" in first.output and "我的博客" in first.output

    second = runner.invoke(
        args=["create-admin", "--username", "bob", "--email", "bob@example.com"]
        + ["--password", "another-pass"]
    )
    assert second.exit_code == 0, second.output
    assert "Created admin bob." in second.output
    with app.app_context():
        alice = db.session.scalars(select(User).where(User.username == "alice")).one()
        bob = db.session.scalars(select(User).where(User.username == "bob")).one()
        assert alice.role is Role.OWNER and alice.email == "alice@example.com"
        assert alice.check_password("s3cret-pass")
        assert bob.role is Role.ADMIN and bob.check_password("another-pass")
        assert db.session.scalars(select(Site)).one().title == "我的博客"
    assert app.test_client().get("/").status_code == 200  # set up: no redirect to /auth/setup


def test_create_admin_prompts_for_missing_options(make_app):
    app = make_app(setup=False)
    result = app.test_cli_runner().invoke(
        args=["create-admin"], input="carol\ncarol@example.com\nplum-kettle-42\nplum-kettle-42\n"
    )
    assert result.exit_code == 0, result.output
    for prompt in ("Username:", "Email:", "Password:", "Repeat for confirmation:"):
        assert prompt in result.output
    assert "plum-kettle-42" not in result.output  # hidden input is not echoed
    with app.app_context():
        carol = db.session.scalars(select(User).where(User.username == "carol")).one()
        assert carol.role is Role.OWNER and carol.check_password("plum-kettle-42")
        assert db.session.scalars(select(Site)).one().title == "My Blog"


def test_create_admin_refuses_a_short_password(make_app):
    app = make_app(setup=False)
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--username", "dave", "--email", "d@example.com"]
        + ["--password", "short"]
    )
    assert result.exit_code == 1
    assert "Error: The password must be at least 8 characters." in result.output
    assert count(app, User) == 0
    assert count(app, Site) == 0


def test_create_admin_refuses_a_taken_username(runner, app):
    result = runner.invoke(
        args=["create-admin", "--username", "OWNER", "--email", "x@example.com"]
        + ["--password", "plum-kettle-42"]
    )
    assert result.exit_code == 1
    assert "already in use" in result.output
    assert count(app, User) == 1


FORGE = ["forge", "--posts", "30", "--categories", "3", "--tags", "5", "--seed", "7"]


def forged_titles(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Post.title).order_by(Post.id)))


def test_forge_makes_the_requested_data(runner, app):
    result = runner.invoke(args=FORGE)
    assert result.exit_code == 0, result.output
    assert "Forged 30 posts, 3 categories, 5 tags." in result.output
    assert count(app, Post) == 30
    assert count(app, Category) == 3
    assert count(app, Tag) == 5
    with app.app_context():
        assert all(db.session.scalars(select(Post.body_html)))  # rendered at forge time
    assert app.test_client().get("/").status_code == 200


def test_forge_with_the_same_seed_makes_the_same_posts(make_app):
    first, second = make_app(), make_app()
    for app in (first, second):
        result = app.test_cli_runner().invoke(args=FORGE)
        assert result.exit_code == 0, result.output
    titles = forged_titles(first)
    assert len(titles) == 30
    assert titles == forged_titles(second)


def test_render_posts_restores_the_html(runner, app, factory):
    ids = factory.posts(3, body="Some **bold** text.")
    with app.app_context():
        db.session.execute(update(Post).values(body_html="<p>stale</p>", excerpt="stale"))
        db.session.commit()
    result = runner.invoke(args=["render-posts"])
    assert result.exit_code == 0, result.output
    assert "Rendered 3 posts." in result.output
    with app.app_context():
        for post_id in ids:
            post = db.session.get(Post, post_id)
            assert "<strong>bold</strong>" in post.body_html
            assert "stale" not in post.excerpt


def test_render_posts_remakes_excerpts_from_the_first_paragraph_and_keeps_updated_at(
    runner, app, factory
):
    body = "# Heading\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nThe first real paragraph."
    [post_id] = factory.posts(1, body=body)
    then = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    with app.app_context():
        # an excerpt as the old flattening made it, last changed long ago
        flattened = "Heading a b 1 2 The first real paragraph."
        db.session.execute(update(Post).values(excerpt=flattened, updated_at=then))
        db.session.commit()
    result = runner.invoke(args=["render-posts"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        post = db.session.get(Post, post_id)
        assert post.excerpt == "The first real paragraph."
        assert post.updated_at == then


def test_publish_due_publishes_only_posts_whose_time_has_come(runner, app, factory):
    now = utcnow()
    due = factory.posts(2, status=PostStatus.SCHEDULED, start=now - timedelta(hours=1))
    later = factory.posts(1, status=PostStatus.SCHEDULED, start=now + timedelta(days=1))
    result = runner.invoke(args=["publish-due"])
    assert result.exit_code == 0, result.output
    assert "Published 2 scheduled posts." in result.output
    with app.app_context():
        status = {row.id: row.status for row in db.session.execute(select(Post.id, Post.status))}
    assert [status[i] for i in due] == [PostStatus.PUBLISHED] * 2
    assert status[later[0]] is PostStatus.SCHEDULED
    assert "Published 0 scheduled posts." in runner.invoke(args=["publish-due"]).output


@pytest.mark.parametrize(
    ("command", "summary"),
    [
        ("initdb", "Create the database tables by running the migrations"),
        ("create-admin", "Create the owner account (first run) or another admin"),
        ("forge", "Fill the blog with realistic fake posts"),
        ("render-posts", "Re-render every post's HTML from its Markdown"),
        ("publish-due", "Publish scheduled posts whose time has come."),
    ],
)
def test_every_command_explains_itself(runner, command, summary):
    result = runner.invoke(args=[command, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: myblog {command} [OPTIONS]")
    assert summary in " ".join(result.output.split())


def test_shell_context_has_the_models(app):
    with app.app_context():  # `flask shell` builds its context inside one
        context = app.make_shell_context()
    assert context["db"] is db
    for name, model in [
        ("User", User),
        ("Post", Post),
        ("Category", Category),
        ("Tag", Tag),
        ("Profile", Profile),
    ]:
        assert context[name] is model


def test_routes_lists_the_endpoints(runner):
    # `routes` belongs to the `flask` command group (FlaskGroup), not to app.cli
    result = runner.invoke(routes_command)
    assert result.exit_code == 0, result.output
    endpoints = {line.split()[0] for line in result.output.splitlines()[2:] if line.strip()}
    assert {"blog.index", "blog.show_post", "auth.login", "api.list_posts"} <= endpoints


def test_search_reindex_rebuilds_the_index_with_a_progress_bar(runner, app, client, factory):
    factory.posts(3, body="Some persimmon text.")
    with app.app_context():
        db.session.execute(text("DELETE FROM post_search"))
        db.session.commit()
    assert "No published post matches" in client.get("/search?q=persimmon").get_data(as_text=True)
    result = runner.invoke(args=["search-reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexing posts" in result.output and "Indexed 3 posts." in result.output
    assert "3 posts found." in client.get("/search?q=persimmon").get_data(as_text=True)


def test_render_posts_keeps_the_search_index_in_step(runner, app, client, factory):
    factory.posts(2, body="Some **bold** text.")
    with app.app_context():
        # a body changed behind the service's back: the index still has the old words
        db.session.execute(update(Post).values(body="Some **walnut** text."))
        db.session.commit()
    assert "No published post matches" in client.get("/search?q=walnut").get_data(as_text=True)
    assert runner.invoke(args=["render-posts"]).exit_code == 0
    assert "2 posts found." in client.get("/search?q=walnut").get_data(as_text=True)
