"""Request tests for the admin's posts, editor, roles and settings."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from support import Factory, csrf_from, login, post_form

from myblog.extensions import db
from myblog.models import Post, PostStatus, Role
from myblog.models.types import utcnow

FORM_TIME = "%Y-%m-%dT%H:%M"
_COUNT = re.compile(r'display-6">(\d+)</div><div class="text-body-secondary">(\w+)<')
_PUBLISHED_AT = re.compile(
    r'name="published_at"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="published_at"'
)


def editor_data(**fields: str) -> dict[str, str]:
    data = {
        "title": "A post",
        "slug": "",
        "body": "Some *Markdown*.",
        "category_id": "0",
        "tags": "",
        "status": "draft",
        "published_at": "",
        "allow_comments": "y",
    }
    data.update(fields)
    return data


def submit_new(client, **fields: str):
    return post_form(client, "/admin/posts/new", editor_data(**fields))


def saved_post(app, response) -> Post:
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/admin/posts/(\d+)/edit$", response.headers["Location"])
    assert match, response.headers["Location"]
    return load_post(app, int(match.group(1)))


def load_post(app, post_id: int) -> Post | None:
    with app.app_context():
        post = db.session.get(Post, post_id)
        if post is not None:
            post.tags, post.category, post.author  # noqa: B018 - load before the context ends
        return post


def post_total(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Post.id)))


def dashboard_counts(client) -> dict[str, int]:
    html = client.get("/admin/").get_data(as_text=True)
    return {label: int(n) for n, label in _COUNT.findall(html)}


def log_in_as_new(client, factory, username: str, role: Role = Role.AUTHOR):
    user = factory.user(username, role)
    login(client, username, "plum-kettle-42")
    return user


@pytest.fixture
def owner_client(client):
    login(client)
    return client


# -- dashboard and list ----------------------------------------------------------------------


def test_admin_pages_need_a_login(client):
    for path in ["/admin/", "/admin/posts", "/admin/posts/new", "/admin/settings"]:
        response = client.get(path)
        assert response.status_code == 302
        assert "/auth/login" in response.headers["Location"]


def test_dashboard_counts_posts_by_status(owner_client, factory):
    factory.posts(3)
    factory.posts(2, status=PostStatus.DRAFT)
    factory.posts(1, status=PostStatus.SCHEDULED, start=utcnow() + timedelta(days=2))
    assert dashboard_counts(owner_client) == {"Draft": 2, "Published": 3, "Scheduled": 1}


def test_list_filters_by_status(owner_client, factory):
    published = factory.posts(2)
    drafts = factory.posts(1, status=PostStatus.DRAFT)
    everything = owner_client.get("/admin/posts").get_data(as_text=True)
    only_drafts = owner_client.get("/admin/posts?status=draft").get_data(as_text=True)
    for post_id in published + drafts:
        assert f"/admin/posts/{post_id}/edit" in everything
    assert f"/admin/posts/{drafts[0]}/edit" in only_drafts
    for post_id in published:
        assert f"/admin/posts/{post_id}/edit" not in only_drafts
    assert "Draft (1)" in only_drafts and "Published (2)" in only_drafts


def test_list_with_an_unknown_status_is_404(owner_client):
    assert owner_client.get("/admin/posts?status=deleted").status_code == 404
    assert owner_client.get("/admin/posts?status=all").status_code == 200


def test_admin_listing_query_count_does_not_grow_with_posts(owner_client, factory, count_queries):
    factory.posts(2, tags=["a"])
    owner_client.get("/admin/posts")  # warm the site cache
    with count_queries() as few:
        assert owner_client.get("/admin/posts").status_code == 200
        assert owner_client.get("/admin/").status_code == 200
    category = factory_category(factory.app, "Busy")
    factory.posts(15, tags=["a", "b"], category_id=category)
    factory.posts(5, status=PostStatus.DRAFT, author_id=factory.user("someone").id)
    with count_queries() as many:
        assert owner_client.get("/admin/posts").status_code == 200
        assert owner_client.get("/admin/").status_code == 200
    assert len(many) == len(few)


def factory_category(app, name: str) -> int:
    return Factory(app).category(name)


# -- the editor: creating posts --------------------------------------------------------------


def test_new_post_slug_comes_from_a_chinese_title(owner_client, app):
    post = saved_post(app, submit_new(owner_client, title="Flask 入门笔记"))
    assert post.slug == "flask-ru-men-bi-ji"
    assert post.title == "Flask 入门笔记"
    assert post.status is PostStatus.DRAFT


def test_duplicate_titles_get_numbered_slugs(owner_client, app):
    first = saved_post(app, submit_new(owner_client, title="Same title"))
    second = saved_post(app, submit_new(owner_client, title="Same title"))
    assert (first.slug, second.slug) == ("same-title", "same-title-2")


def test_a_taken_slug_is_a_form_error_and_saves_nothing(owner_client, app):
    saved_post(app, submit_new(owner_client, title="First", slug="my-slug"))
    response = submit_new(owner_client, title="Second", slug="My Slug", tags="brand-new")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "The slug “my-slug” is already used by another post." in html
    assert 'value="Second"' in html  # the author's input is kept
    assert post_total(app) == 1
    assert "brand-new" not in owner_client.get("/admin/tags").get_data(as_text=True)


def test_an_empty_title_is_a_form_error(owner_client, app):
    response = submit_new(owner_client, title="   ")
    assert response.status_code == 400
    assert "This field is required." in response.get_data(as_text=True)
    assert post_total(app) == 0


def test_tags_are_created_from_ascii_and_chinese_commas(owner_client, app):
    post = saved_post(app, submit_new(owner_client, tags="a, b，c, A"))
    assert [tag.name for tag in post.tags] == ["a", "b", "c"]
    edit = owner_client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    assert 'value="a, b, c"' in edit


def test_the_category_is_chosen_from_the_list(owner_client, app):
    category_id = factory_category(app, "Notes")
    page = owner_client.get("/admin/posts/new").get_data(as_text=True)
    assert f'<option value="{category_id}">Notes</option>' in page
    post = saved_post(app, submit_new(owner_client, category_id=str(category_id)))
    assert post.category is not None and post.category.name == "Notes"
    response = submit_new(owner_client, title="Nope", category_id="9999")
    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert post_total(app) == 1


def test_publishing_now_shows_the_post_to_the_public(owner_client, app):
    post = saved_post(app, submit_new(owner_client, title="Hello world", status="published"))
    assert post.status is PostStatus.PUBLISHED
    assert post.published_at is not None and post.published_at <= utcnow()
    reader = app.test_client()
    assert reader.get("/post/hello-world").status_code == 200
    assert "Hello world" in reader.get("/").get_data(as_text=True)


def test_a_scheduled_post_is_hidden_until_its_time(owner_client, app):
    when = (utcnow() + timedelta(days=1)).strftime(FORM_TIME)
    post = saved_post(
        app, submit_new(owner_client, title="Coming soon", status="scheduled", published_at=when)
    )
    assert post.status is PostStatus.SCHEDULED
    assert post.published_at == datetime.strptime(when, FORM_TIME).replace(tzinfo=UTC)
    reader = app.test_client()
    assert reader.get("/post/coming-soon").status_code == 404
    assert "Coming soon" not in reader.get("/").get_data(as_text=True)
    assert owner_client.get("/post/coming-soon").status_code == 200  # its author may preview
    with app.app_context():  # let its time come
        db.session.get(Post, post.id).published_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    assert reader.get("/post/coming-soon").status_code == 200
    assert "Coming soon" in reader.get("/").get_data(as_text=True)


def test_scheduling_without_a_time_is_a_clear_error(owner_client, app):
    response = submit_new(owner_client, title="When", status="scheduled", tags="x")
    assert response.status_code == 400
    assert "Choose the date and time at which the post goes live." in response.get_data(
        as_text=True
    )
    assert post_total(app) == 0


def test_scheduling_in_the_past_publishes(owner_client, app):
    when = (utcnow() - timedelta(days=3)).strftime(FORM_TIME)
    post = saved_post(
        app, submit_new(owner_client, title="Backdated", status="scheduled", published_at=when)
    )
    assert post.status is PostStatus.PUBLISHED
    assert post.published_at == datetime.strptime(when, FORM_TIME).replace(tzinfo=UTC)
    assert app.test_client().get("/post/backdated").status_code == 200


def test_a_long_chinese_post_within_the_body_limit_can_be_saved(owner_client, app):
    # 120,000 characters: over a megabyte once URL-encoded, yet well within MAX_BODY
    body = "长文" * 60_000
    post = saved_post(app, submit_new(owner_client, title="Long read", body=body))
    assert len(post.body) == len(body)


# -- editing ---------------------------------------------------------------------------------


def resubmit_edit_form(client, post_id: int, **changes: str):
    """Submit the edit page the way a browser would: with the values it was rendered with."""
    url = f"/admin/posts/{post_id}/edit"
    html = client.get(url).get_data(as_text=True)
    match = _PUBLISHED_AT.search(html)
    shown = (match.group(1) or match.group(2)) if match else ""
    data = {"published_at": shown, "status": "published", **changes}
    return post_form(client, url, editor_data(**data))


def test_editing_keeps_the_original_publication_time(owner_client, app, factory):
    (post_id,) = factory.posts(1)
    original = load_post(app, post_id).published_at
    response = resubmit_edit_form(owner_client, post_id, title="Edited title", body="New body")
    assert response.status_code == 302
    post = load_post(app, post_id)
    assert post.title == "Edited title"
    assert post.published_at == original
    # with the date field cleared the date is kept too
    response = post_form(
        owner_client,
        f"/admin/posts/{post_id}/edit",
        editor_data(title="Again", status="published", published_at=""),
    )
    assert response.status_code == 302
    assert load_post(app, post_id).published_at == original


def test_an_edit_without_the_tags_field_keeps_the_tags(owner_client, app, factory):
    (post_id,) = factory.posts(1, tags=["flask", "notes"])
    data = editor_data(title="No tags field", status="published")
    del data["tags"]  # a client other than the editor's page may leave it out
    response = post_form(owner_client, f"/admin/posts/{post_id}/edit", data)
    assert response.status_code == 302
    with app.app_context():
        assert sorted(tag.name for tag in db.session.get(Post, post_id).tags) == ["flask", "notes"]


def test_editing_to_a_new_time_moves_the_post(owner_client, app, factory):
    (post_id,) = factory.posts(1)
    when = (utcnow() - timedelta(days=30)).strftime(FORM_TIME)
    response = resubmit_edit_form(owner_client, post_id, published_at=when)
    assert response.status_code == 302
    assert load_post(app, post_id).published_at == datetime.strptime(when, FORM_TIME).replace(
        tzinfo=UTC
    )


def test_an_author_cannot_edit_someone_elses_post(client, app, factory):
    (post_id,) = factory.posts(1)  # the owner's
    log_in_as_new(client, factory, "writer")
    page = client.get(f"/admin/posts/{post_id}/edit")
    assert page.status_code == 403
    assert "Not allowed" in page.get_data(as_text=True)
    token = csrf_from(client, "/admin/posts/new")
    response = client.post(
        f"/admin/posts/{post_id}/edit", data={"csrf_token": token, **editor_data(title="Mine")}
    )
    assert response.status_code == 403
    assert "Not allowed" in response.get_data(as_text=True)
    assert load_post(app, post_id).title != "Mine"
    assert client.get(f"/admin/posts/{post_id}/delete").status_code == 403


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OWNER])
def test_admins_and_the_owner_edit_anyones_post(client, app, factory, role):
    writer = factory.user("writer")
    (post_id,) = factory.posts(1, author_id=writer.id)
    if role is Role.OWNER:
        login(client)
    else:
        log_in_as_new(client, factory, "boss", Role.ADMIN)
    assert client.get(f"/admin/posts/{post_id}/edit").status_code == 200
    response = resubmit_edit_form(client, post_id, title="Fixed a typo")
    assert response.status_code == 302
    post = load_post(app, post_id)
    assert post.title == "Fixed a typo"
    assert post.author_id == writer.id  # editing does not steal authorship


def test_editing_a_missing_post_is_404(owner_client):
    assert owner_client.get("/admin/posts/999/edit").status_code == 404


# -- deleting --------------------------------------------------------------------------------


def test_delete_asks_for_confirmation_first(owner_client, app, factory):
    (post_id,) = factory.posts(1)
    page = owner_client.get(f"/admin/posts/{post_id}/delete")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Delete “Post number" in html and "cannot be undone" in html
    assert load_post(app, post_id) is not None


def test_delete_with_csrf_removes_the_post(owner_client, app, factory):
    (post_id,) = factory.posts(1)
    url = f"/admin/posts/{post_id}/delete"
    response = post_form(owner_client, url, {})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/posts")
    assert load_post(app, post_id) is None


def test_delete_without_csrf_is_refused(owner_client, app, factory):
    (post_id,) = factory.posts(1)
    response = owner_client.post(f"/admin/posts/{post_id}/delete")
    assert response.status_code == 400
    assert load_post(app, post_id) is not None


# -- what authors see ------------------------------------------------------------------------


def test_authors_see_only_their_own_posts(client, factory):
    writer = factory.user("writer")
    mine = factory.posts(2, author_id=writer.id)
    theirs = factory.posts(3)
    factory.posts(1, author_id=writer.id, status=PostStatus.DRAFT)
    login(client, "writer", "plum-kettle-42")
    html = client.get("/admin/posts").get_data(as_text=True)
    for post_id in mine:
        assert f"/admin/posts/{post_id}/edit" in html
    for post_id in theirs:
        assert f"/admin/posts/{post_id}/edit" not in html
    assert dashboard_counts(client) == {"Draft": 1, "Published": 2, "Scheduled": 0}


def test_authors_may_write_but_not_manage_the_blog(client, app, factory):
    log_in_as_new(client, factory, "writer")
    post = saved_post(app, submit_new(client, title="My own", tags="fresh"))
    assert post.author.username == "writer"
    for path in ["/admin/categories", "/admin/tags", "/admin/settings", "/admin/tags/1"]:
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Not allowed" in response.get_data(as_text=True)
    token = csrf_from(client, "/admin/posts/new")
    response = client.post("/admin/categories", data={"csrf_token": token, "name": "Sneaky"})
    assert response.status_code == 403
    assert "Sneaky" not in app.test_client().get("/").get_data(as_text=True)
    assert "admin/categories" not in client.get("/admin/").get_data(as_text=True)


# -- settings --------------------------------------------------------------------------------


def test_owner_changes_the_settings_and_pages_follow_at_once(owner_client, app):
    reader = app.test_client()
    assert "Test Blog" in reader.get("/").get_data(as_text=True)  # cached now
    response = post_form(
        owner_client,
        "/admin/settings",
        {
            "title": "Notes from the Hills",
            "tagline": "Slow writing",
            "about": "## Who\n\nI write **slowly**.\n\n<script>alert(1)</script>",
        },
    )
    assert response.status_code == 302
    home = reader.get("/").get_data(as_text=True)
    assert "<title>Notes from the Hills</title>" in home
    assert "Slow writing" in home
    about = reader.get("/about").get_data(as_text=True)
    assert '<h2 id="who">Who <a class="header-anchor" href="#who">#</a></h2>' in about
    assert "<strong>slowly</strong>" in about
    assert "<script>alert" not in about
    settings = owner_client.get("/admin/settings").get_data(as_text=True)
    assert 'value="Notes from the Hills"' in settings


def test_settings_need_a_title(owner_client, app):
    response = post_form(owner_client, "/admin/settings", {"title": "", "tagline": "", "about": ""})
    assert response.status_code == 200
    assert "This field is required." in response.get_data(as_text=True)
    assert "Test Blog" in app.test_client().get("/").get_data(as_text=True)


def test_the_editor_saves_a_summary_that_the_listing_shows(owner_client, app):
    response = submit_new(
        owner_client, title="With a summary", status="published", summary="Read this one first."
    )
    assert response.status_code == 302
    assert "Read this one first." in owner_client.get("/").get_data(as_text=True)
    page = owner_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Read this one first.</textarea>" in page
