"""Two people deleting the same thing at once: the second is told it is already gone, never a 500.

Each race is played by a second session (its own connection) that deletes the row after the
request has loaded it and before the request's own delete commits, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from flask import Flask
from sqlalchemy import delete, event, func, select
from support import csrf_from, login, post_form
from test_postgres_app import build_blog

from myblog.extensions import db
from myblog.models import Category, Comment, Post, Tag, User, post_tags
from myblog.services import posts as post_service
from myblog.services import taxonomy
from myblog.services.comments import CommentInput, Submission, submit_comment

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def blog(request, make_app) -> SimpleNamespace:
    """A blog with a tagged, categorised post, the owner logged in."""
    if request.param == "sqlite":
        app = make_app()
    else:
        app = build_blog(request.getfixturevalue("make_pg_app"))
    client = app.test_client()
    login(client, "owner")
    with app.app_context():
        category = taxonomy.create_category("Notes").id
    response = post_form(
        client,
        "/admin/posts/new",
        {
            "title": "Doomed",
            "body": "text",
            "status": "published",
            "category_id": str(category),
            "tags": "flask, sql",
            "allow_comments": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    post_id = int(response.headers["Location"].split("/")[-2])
    with app.app_context():
        tag_id = db.session.scalars(select(Tag.id).where(Tag.name == "flask")).one()
    return SimpleNamespace(app=app, client=client, post=post_id, category=category, tag=tag_id)


def delete_elsewhere(app: Flask, statement) -> None:
    """Another request's delete, committed on its own connection."""
    with app.app_context(), db.engine.connect() as connection:
        connection.execute(statement)
        connection.commit()


def race(monkeypatch, module, name: str, before: Callable[..., None]) -> None:
    """Run `before(*args)` (the other request's delete) just before `module.name` runs."""
    original = getattr(module, name)

    def racing(*args, **kwargs):
        before(*args)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, racing)


def count(app: Flask, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_post_deleted_meanwhile_is_reported_as_already_deleted(blog, monkeypatch):
    def other_request_deletes(post: Post) -> None:
        assert len(post.tags) == 2  # this request has read the post and its tags
        delete_elsewhere(blog.app, delete(Post).where(Post.id == post.id))

    race(monkeypatch, post_service, "delete_post", other_request_deletes)
    url = f"/admin/posts/{blog.post}/delete"
    response = post_form(blog.client, url, {}, follow_redirects=True)
    assert response.status_code == 200
    assert "“Doomed” was already deleted." in response.get_data(as_text=True)
    assert count(blog.app, Post) == 0 and count(blog.app, post_tags) == 0


def test_two_deletes_at_the_same_moment_delete_once_and_report_once(blog, monkeypatch):
    # two signed-in tabs: both requests have loaded the post (and its tags) before either
    # deletes; then both delete at once, on two connections
    both_loaded = threading.Barrier(2, timeout=10)

    def wait_for_the_other(post: Post) -> None:
        assert len(post.tags) == 2
        both_loaded.wait()

    race(monkeypatch, post_service, "delete_post", wait_for_the_other)
    url = f"/admin/posts/{blog.post}/delete"
    second = blog.app.test_client()
    login(second, "owner")
    tabs = [(client, {"csrf_token": csrf_from(client, url)}) for client in (blog.client, second)]
    with ThreadPoolExecutor(2) as pool:
        responses = list(
            pool.map(lambda tab: tab[0].post(url, data=tab[1], follow_redirects=True), tabs)
        )
    pages = sorted(r.get_data(as_text=True) for r in responses)
    assert [r.status_code for r in responses] == [200, 200]
    assert sum("Deleted “Doomed”." in page for page in pages) == 1
    assert sum("“Doomed” was already deleted." in page for page in pages) == 1
    assert count(blog.app, Post) == 0 and count(blog.app, post_tags) == 0


def test_a_second_delete_after_the_first_is_reported_as_already_deleted(blog):
    url = f"/admin/posts/{blog.post}/delete"
    token = csrf_from(blog.client, url)
    first = blog.client.post(url, data={"csrf_token": token}, follow_redirects=True)
    assert "Deleted “Doomed”." in first.get_data(as_text=True)
    second = blog.client.post(url, data={"csrf_token": token}, follow_redirects=True)
    assert second.status_code == 200
    assert "That post was already deleted." in second.get_data(as_text=True)
    # asking to delete a post that is not there is still a 404
    assert blog.client.get(url).status_code == 404


@pytest.mark.parametrize("kind", ["categories", "tags"])
def test_a_term_deleted_meanwhile_is_reported_as_already_deleted(blog, monkeypatch, kind):
    model, term_id = (Category, blog.category) if kind == "categories" else (Tag, blog.tag)
    race(
        monkeypatch,
        taxonomy,
        "delete_term",
        lambda term: delete_elsewhere(blog.app, delete(model).where(model.id == term.id)),
    )
    token = csrf_from(blog.client, f"/admin/{kind}/{term_id}")
    url = f"/admin/{kind}/{term_id}/delete"
    data = {"delete-csrf_token": token, "csrf_token": token}
    response = blog.client.post(url, data=data, follow_redirects=True)
    assert response.status_code == 200
    assert "was already deleted." in response.get_data(as_text=True)
    monkeypatch.undo()
    again = blog.client.post(url, data=data, follow_redirects=True)
    assert again.status_code == 200
    one = "category" if kind == "categories" else "tag"
    assert f"That {one} was already deleted." in again.get_data(as_text=True)
    with blog.app.app_context():
        assert db.session.get(Post, blog.post) is not None, "the post stays"


@pytest.mark.parametrize("kind", ["categories", "tags"])
def test_merging_into_a_term_deleted_meanwhile_is_refused_with_a_reason(blog, monkeypatch, kind):
    model = Category if kind == "categories" else Tag
    # the post's category or tag moves into a new, empty one, which another request deletes
    source = blog.category if kind == "categories" else blog.tag
    with blog.app.app_context():
        if kind == "categories":
            target = taxonomy.create_category("Other").id
        else:
            [tag] = taxonomy.get_or_create_tags(["Other"])
            db.session.commit()
            target = tag.id
    race(
        monkeypatch,
        taxonomy,
        "merge",
        lambda *_: delete_elsewhere(blog.app, delete(model).where(model.id == target)),
    )
    token = csrf_from(blog.client, f"/admin/{kind}/{source}")
    response = blog.client.post(
        f"/admin/{kind}/{source}",
        data={"merge-csrf_token": token, "merge-target_id": str(target), "merge-submit": "Merge"},
    )
    assert response.status_code == 200
    assert "“Other” was deleted meanwhile: choose another." in response.get_data(as_text=True)
    with blog.app.app_context():
        assert db.session.get(model, source) is not None, "nothing was merged"
        post = db.session.get(Post, blog.post)
        assert post.category_id == blog.category and len(post.tags) == 2


def test_a_comment_deleted_meanwhile_is_not_counted(blog):
    with blog.app.app_context():
        post = db.session.get(Post, blog.post)
        owner = db.session.get(User, post.author_id)
        ids = [
            submit_comment(
                post,
                CommentInput(body=f"comment {i}"),
                user=owner,
                submission=Submission(ip="127.0.0.1", started_at=None),
            ).id
            for i in range(2)
        ]

    def other_request_deletes_first(state) -> None:
        # after this request has read the comments it may moderate, before its DELETE runs
        if state.is_delete:
            delete_elsewhere(blog.app, delete(Comment).where(Comment.id == ids[0]))

    event.listen(db.session, "do_orm_execute", other_request_deletes_first)
    try:
        response = post_form(
            blog.client,
            "/admin/comments/moderate",
            {"action": "delete", "ids": [str(i) for i in ids]},
            token_from="/admin/comments",
            follow_redirects=True,
        )
    finally:
        event.remove(db.session, "do_orm_execute", other_request_deletes_first)
    assert response.status_code == 200
    assert "Delete: 1 comment." in response.get_data(as_text=True)
    assert count(blog.app, Comment) == 0


def test_editing_a_post_deleted_meanwhile_is_a_conflict_not_a_500(blog, monkeypatch):
    race(
        monkeypatch,
        post_service,
        "save_post",
        lambda data, **_: delete_elsewhere(blog.app, delete(Post).where(Post.title == "Doomed")),
    )
    response = post_form(
        blog.client,
        f"/admin/posts/{blog.post}/edit",
        {"title": "Renamed", "body": "text", "status": "published", "category_id": "0", "tags": ""},
    )
    assert response.status_code == 409
    assert "Someone else changed or deleted this meanwhile" in response.get_data(as_text=True)
