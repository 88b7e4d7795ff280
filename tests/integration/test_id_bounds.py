"""Numbers no row can have, in addresses, forms and ?page=: a 404 (400 on the API), never a 500.

SQLite holds 64-bit integers and raises on larger ones; PostgreSQL's INTEGER column raises at
2**31. Every route and form is tried on both.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from flask import Flask
from sqlalchemy import select
from support import csrf_from, input_value, login, post_form
from test_postgres_app import build_blog

from myblog.extensions import db
from myblog.models import Comment, OutboxStatus
from myblog.services import comments as comment_service
from myblog.services import outbox
from myblog.services.taxonomy import create_category, get_or_create_tags
from myblog.web import MAX_ID

# zero, just past PostgreSQL's INTEGER, just past SQLite's 64 bits, far past both, negative
BAD_IDS = ["0", str(2**31), str(2**63), str(10**30), "-1"]
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def blog(request, make_app) -> SimpleNamespace:
    """A blog with a post, a category, a tag, a failed mail and the owner logged in."""
    if request.param == "sqlite":
        app = make_app()
    else:
        app = build_blog(request.getfixturevalue("make_pg_app"))

    @app.route("/api/things/<id:thing_id>")
    def api_thing(thing_id: int):  # what the API's routes with an id will get
        return {"id": thing_id}

    client = app.test_client()
    login(client, "owner" if request.param == "sqlite" else "Owner")
    with app.app_context():
        category = create_category("Notes")
        [tag] = get_or_create_tags(["flask"])
        failed = outbox.enqueue(to="a@example.com", subject="s", text_body="x")
        db.session.commit()
        failed.status = OutboxStatus.FAILED
        db.session.commit()
        ids = SimpleNamespace(category=category.id, tag=tag.id, email=failed.id)
    response = post_form(
        client,
        "/admin/posts/new",
        {
            "title": "Hello",
            "body": "text",
            "status": "published",
            "category_id": "0",
            "allow_comments": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    ids.post = int(response.headers["Location"].split("/")[-2])
    return SimpleNamespace(app=app, client=client, ids=ids)


ROUTES = [
    ("GET", "/admin/posts/{}/edit"),
    ("POST", "/admin/posts/{}/edit"),
    ("GET", "/admin/posts/{}/delete"),
    ("POST", "/admin/posts/{}/delete"),
    ("GET", "/admin/categories/{}"),
    ("POST", "/admin/tags/{}"),
    ("POST", "/admin/categories/{}/delete"),
    ("POST", "/admin/tags/{}/delete"),
    ("POST", "/admin/outbox/{}/retry"),
    ("GET", "/archive/{}/1"),
    ("GET", "/archive/2024/{}"),
]


def test_every_route_with_a_number_uses_the_bounded_converter(app: Flask):
    converters = {
        name or "default"
        for rule in app.url_map.iter_rules()
        for name in re.findall(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>", rule.rule)
    }
    assert converters <= {"default", "id", "any", "path"}, converters


def test_a_number_out_of_range_is_a_404_on_every_route(blog):
    token = csrf_from(blog.client, "/admin/posts/new")
    for method, template in ROUTES:
        for bad in BAD_IDS:
            path = template.format(bad)
            data = {"csrf_token": token, "delete-csrf_token": token, "title": "x"}
            response = blog.client.open(path, method=method, data=data)
            assert response.status_code == 404, (path, method, response.status_code)
            assert response.mimetype == "text/html"


def test_the_largest_id_is_an_ordinary_miss_and_real_ids_still_work(blog):
    for method, template in ROUTES[:-2]:
        path = template.format(MAX_ID)
        token = csrf_from(blog.client, "/admin/posts/new")
        response = blog.client.open(path, method=method, data={"csrf_token": token})
        # a missing post or term is a 404, a missing mail is "only failed mails can be retried"
        assert response.status_code in (302, 404), (path, response.status_code)
    ids = blog.ids
    for path in (
        f"/admin/posts/{ids.post}/edit",
        f"/admin/posts/{ids.post}/delete",
        f"/admin/categories/{ids.category}",
        f"/admin/tags/{ids.tag}",
        "/archive/1970/1",
        "/archive/9999/12",
    ):
        assert blog.client.get(path).status_code == 200, path
    assert blog.client.get("/archive/1969/12").status_code == 404
    response = post_form(blog.client, f"/admin/outbox/{ids.email}/retry", {}, token_from="/admin/")
    assert response.status_code == 302


def test_a_number_out_of_range_is_a_json_400_on_the_api(blog):
    for bad in BAD_IDS:
        response = blog.client.get(f"/api/things/{bad}")
        assert response.status_code == 400, bad
        assert response.get_json()["error"]["message"] == "The id in the address is out of range."
    assert blog.client.get(f"/api/things/{MAX_ID}").get_json() == {"id": MAX_ID}
    assert blog.client.get("/api/things/abc").status_code == 404


def test_ids_out_of_range_in_forms_and_query_strings_name_nothing(blog, monkeypatch):
    client, ids = blog.client, blog.ids
    monkeypatch.setattr(comment_service, "MIN_FILL_SECONDS", 0)
    slug = "hello"
    for bad in BAD_IDS:
        # moderation: the ticked boxes and a comment's own button
        response = post_form(
            client, "/admin/comments/moderate", {"action": "delete", "ids": [bad]}, token_from="/"
        )
        assert response.status_code == 302
        response = post_form(
            client, f"/admin/comments/moderate?one={bad}", {"action": "spam"}, token_from="/"
        )
        assert response.status_code == 302
        # a reply to a comment no row can be, and the link that offers it
        assert client.get(f"/post/{slug}?reply_to={bad}").status_code == 200
        page = client.get(f"/post/{slug}").get_data(as_text=True)
        data = {"started": input_value(page, "started"), "body": f"Reply to {bad}"}
        response = post_form(client, f"/post/{slug}/comments", {**data, "parent_id": bad})
        assert response.status_code == 302, response.get_data(as_text=True)
        # menus: a category or a merge target that is no choice
        response = post_form(
            client,
            f"/admin/posts/{ids.post}/edit",
            {"title": "Hello", "status": "published", "category_id": bad, "allow_comments": "y"},
        )
        assert response.status_code == (302 if bad == "0" else 400)  # 0: no category
        response = post_form(
            client,
            f"/admin/tags/{ids.tag}",
            {"merge-target_id": bad, "merge-submit": "Merge"},
            token_from="/admin/",
        )
        assert response.status_code == 200
    with blog.app.app_context():
        parents = db.session.scalars(select(Comment.parent_id)).all()
    assert parents == [None] * len(BAD_IDS), "each comment stands on its own"


LISTS = [
    "/admin/posts",
    "/admin/comments",
    "/admin/outbox",
    "/admin/subscribers",
    "/",
    "/category/notes",
    "/tag/flask",
    "/archive/2024/1",
]


def test_page_numbers_out_of_range_are_404_on_every_list_and_400_on_the_api(blog):
    for bad in BAD_IDS:
        for path in LISTS:
            response = blog.client.get(path, query_string={"page": bad})
            assert response.status_code == 404, (path, bad, response.status_code)
        assert blog.client.get("/api/posts", query_string={"page": bad}).status_code == 400
    # the largest page number there is: past the end (admin lists show an empty page)
    for path in [*LISTS, "/api/posts"]:
        response = blog.client.get(path, query_string={"page": "999999999"})
        assert response.status_code == (200 if path.startswith("/admin/") else 404), path
