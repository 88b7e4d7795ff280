"""Request tests for managing categories and tags in the admin."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from support import csrf_from, login, post_form

from myblog.extensions import db
from myblog.models import Category, Post, Tag, post_tags
from myblog.services.taxonomy import create_category


@pytest.fixture
def owner_client(client):
    login(client)
    return client


def prefixed_post(client, url: str, prefix: str, data: dict[str, str]):
    """POST one of a page's prefixed forms (rename-, merge-, delete-) with its CSRF token."""
    token = csrf_from(client, "/admin/")
    fields = {f"{prefix}-{name}": value for name, value in data.items()}
    return client.post(url, data={"csrf_token": token, f"{prefix}-csrf_token": token, **fields})


def new_category(app, name: str) -> int:
    with app.app_context():
        return create_category(name).id


def term(app, model, **where) -> Category | Tag | None:
    with app.app_context():
        return db.session.scalars(select(model).filter_by(**where)).one_or_none()


def tags_of(app, post_id: int) -> list[str]:
    with app.app_context():
        post = db.session.get(Post, post_id)
        assert post is not None
        return [tag.name for tag in post.tags]


def post_tag_rows(app, post_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(post_tags).where(post_tags.c.post_id == post_id)
        )


def category_of(app, post_id: int) -> int | None:
    with app.app_context():
        post = db.session.get(Post, post_id)
        assert post is not None
        return post.category_id


# -- categories ------------------------------------------------------------------------------


def test_create_a_category(owner_client, app):
    response = post_form(owner_client, "/admin/categories", {"name": "读书 笔记"})
    assert response.status_code == 302
    created = term(app, Category, name="读书 笔记")
    assert created is not None and created.slug == "du-shu-bi-ji"
    page = owner_client.get("/admin/categories").get_data(as_text=True)
    assert "读书 笔记" in page and "du-shu-bi-ji" in page
    assert app.test_client().get("/category/du-shu-bi-ji").status_code == 200


def test_a_duplicate_category_name_is_an_error_shown_on_the_form(owner_client, app):
    new_category(app, "Notes")
    response = post_form(owner_client, "/admin/categories", {"name": "notes"})
    assert response.status_code == 200
    assert "A category named “notes” already exists." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Category.id))) == 1


def test_a_blank_category_name_is_an_error(owner_client, app):
    response = post_form(owner_client, "/admin/categories", {"name": "  "})
    assert "This field is required." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Category.id))) == 0


def test_tags_cannot_be_created_from_the_tag_list(owner_client, app):
    response = post_form(owner_client, "/admin/tags", {"name": "direct"})
    assert response.status_code == 200
    assert term(app, Tag, name="direct") is None


def test_rename_a_category_and_its_slug_follows(owner_client, app, factory):
    category_id = new_category(app, "Travel")
    factory.posts(1, category_id=category_id)
    url = f"/admin/categories/{category_id}"
    assert owner_client.get(url).status_code == 200
    response = prefixed_post(
        owner_client, url, "rename", {"name": "Trips Abroad", "submit": "Save"}
    )
    assert response.status_code == 302
    renamed = term(app, Category, id=category_id)
    assert (renamed.name, renamed.slug) == ("Trips Abroad", "trips-abroad")
    reader = app.test_client()
    assert reader.get("/category/trips-abroad").status_code == 200
    assert reader.get("/category/travel").status_code == 404


def test_rename_a_tag_and_its_slug_follows(owner_client, app, factory):
    factory.posts(1, tags=["py"])
    tag_id = term(app, Tag, name="py").id
    url = f"/admin/tags/{tag_id}"
    response = prefixed_post(owner_client, url, "rename", {"name": "Python 3", "submit": "Save"})
    assert response.status_code == 302
    renamed = term(app, Tag, id=tag_id)
    assert (renamed.name, renamed.slug) == ("Python 3", "python-3")
    # a change of case only keeps the slug as it was
    prefixed_post(owner_client, url, "rename", {"name": "python 3", "submit": "Save"})
    assert term(app, Tag, id=tag_id).slug == "python-3"


def test_renaming_onto_an_existing_name_is_refused(owner_client, app, factory):
    factory.posts(1, tags=["alpha", "beta"])
    alpha = term(app, Tag, name="alpha")
    response = prefixed_post(
        owner_client, f"/admin/tags/{alpha.id}", "rename", {"name": "Beta", "submit": "Save"}
    )
    assert response.status_code == 200
    assert "“Beta” already exists: merge into it instead." in response.get_data(as_text=True)
    assert term(app, Tag, id=alpha.id).name == "alpha"


# -- merging ---------------------------------------------------------------------------------


def test_merge_tag_into_another_without_duplicate_rows(owner_client, app, factory):
    both = factory.posts(2, tags=["A", "B"])
    only_a = factory.posts(1, tags=["A"])
    a, b = term(app, Tag, name="A"), term(app, Tag, name="B")
    response = prefixed_post(
        owner_client, f"/admin/tags/{a.id}", "merge", {"target_id": str(b.id), "submit": "Merge"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/tags")
    assert term(app, Tag, id=a.id) is None
    for post_id in both + only_a:
        assert tags_of(app, post_id) == ["B"]
        assert post_tag_rows(app, post_id) == 1
    reader = app.test_client()
    assert reader.get(f"/tag/{a.slug}").status_code == 404
    assert reader.get(f"/tag/{b.slug}").status_code == 200


def test_merge_category_moves_its_posts(owner_client, app, factory):
    source, target = new_category(app, "Misc"), new_category(app, "General")
    moved = factory.posts(2, category_id=source)
    response = prefixed_post(
        owner_client,
        f"/admin/categories/{source}",
        "merge",
        {"target_id": str(target), "submit": "Merge"},
    )
    assert response.status_code == 302
    assert term(app, Category, id=source) is None
    assert [category_of(app, post_id) for post_id in moved] == [target, target]


def test_merge_offers_only_other_terms(owner_client, app):
    source, target = new_category(app, "One"), new_category(app, "Two")
    page = owner_client.get(f"/admin/categories/{source}").get_data(as_text=True)
    assert f'<option value="{target}">Two</option>' in page
    assert f'<option value="{source}">' not in page
    response = prefixed_post(
        owner_client,
        f"/admin/categories/{source}",
        "merge",
        {"target_id": str(source), "submit": "Merge"},
    )
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert term(app, Category, id=source) is not None


# -- deleting --------------------------------------------------------------------------------


def test_delete_a_category_keeps_its_posts_uncategorised(owner_client, app, factory):
    category_id = new_category(app, "Doomed")
    post_ids = factory.posts(2, category_id=category_id)
    response = prefixed_post(owner_client, f"/admin/categories/{category_id}/delete", "delete", {})
    assert response.status_code == 302
    assert term(app, Category, id=category_id) is None
    assert [category_of(app, post_id) for post_id in post_ids] == [None, None]
    assert app.test_client().get(f"/post/{term(app, Post, id=post_ids[0]).slug}").status_code == 200


def test_delete_a_tag_removes_it_from_posts(owner_client, app, factory):
    (post_id,) = factory.posts(1, tags=["keep", "drop"])
    drop = term(app, Tag, name="drop")
    response = prefixed_post(owner_client, f"/admin/tags/{drop.id}/delete", "delete", {})
    assert response.status_code == 302
    assert term(app, Tag, id=drop.id) is None
    assert tags_of(app, post_id) == ["keep"]


def test_delete_needs_csrf_and_post(owner_client, app):
    category_id = new_category(app, "Safe")
    url = f"/admin/categories/{category_id}/delete"
    assert owner_client.post(url).status_code == 400
    assert owner_client.get(url).status_code == 405
    assert term(app, Category, id=category_id) is not None


def test_missing_terms_are_404_and_deleting_one_says_it_is_gone(owner_client):
    assert owner_client.get("/admin/tags/999").status_code == 404
    response = prefixed_post(owner_client, "/admin/categories/999/delete", "delete", {})
    assert response.status_code == 302
    page = owner_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "That category was already deleted." in page


def test_only_categories_and_tags_are_kinds(owner_client):
    assert owner_client.get("/admin/widgets").status_code == 404
    assert owner_client.get("/admin/widgets/1").status_code == 404
    assert owner_client.get("/admin/categories").status_code == 200
    assert owner_client.get("/admin/tags").status_code == 200


def test_term_lists_show_counts_with_constant_queries(owner_client, app, factory, count_queries):
    category_id = new_category(app, "Busy")
    factory.posts(2, category_id=category_id, tags=["x"])
    owner_client.get("/admin/tags")
    with count_queries() as few:
        owner_client.get("/admin/tags")
        owner_client.get("/admin/categories")
    for n in range(8):
        factory.posts(1, category_id=new_category(app, f"Extra {n}"), tags=[f"t{n}", "x"])
    with count_queries() as many:
        tags_page = owner_client.get("/admin/tags").get_data(as_text=True)
        owner_client.get("/admin/categories")
    assert len(many) == len(few)
    assert "<td>x</td><td>10</td>" in tags_page
