"""The search page and the admin's post search."""

from __future__ import annotations

import pytest
from support import login, post_form

from myblog.models import PostStatus
from myblog.services.search import MAX_QUERY


def page(client, query: str, **params) -> tuple[int, str]:
    response = client.get("/search", query_string={"q": query, **params})
    return response.status_code, response.get_data(as_text=True)


def test_the_navigation_has_a_search_box(client):
    html = client.get("/").get_data(as_text=True)
    assert 'action="/search"' in html and 'id="nav-search"' in html and 'name="q"' in html


def test_results_are_ranked_marked_counted_and_not_indexed(client, factory):
    factory.posts(2, body="Notes about **Flask** and SQLite.")
    factory.posts(1, body="Nothing relevant.", tags=["flask"])
    factory.posts(1, body="Flask draft", status=PostStatus.DRAFT)
    status, html = page(client, "FLA")
    assert status == 200
    assert '<meta name="robots" content="noindex">' in html
    assert "<title>Search: FLA · Test Blog</title>" in html
    assert "3 posts found." in html
    assert html.count('class="search-hit') == 3
    assert "<mark>Flask</mark>" in html
    # the tagged post ranks first: tags weigh more than the body
    assert html.index("#flask") < html.index("<mark>Flask</mark>")


def test_chinese_one_and_two_characters_find_every_post(client, factory):
    factory.posts(2, body="全文检索的原理")
    factory.posts(1, body="检索")
    factory.posts(1, body="没有相关内容")
    assert "3 posts found." in page(client, "检")[1]
    assert "3 posts found." in page(client, "检索")[1]
    assert "2 posts found." in page(client, "全文检索")[1]
    assert "<mark>检索</mark>" in page(client, "检索")[1]


def test_a_post_with_script_and_a_query_with_markup_are_escaped(client, factory):
    factory.posts(1, body="Never write `<script>alert(1)</script>` in a page.")
    status, html = page(client, "script alert")
    assert status == 200 and "1 post found." in html
    assert "<script>alert" not in html
    assert "&lt;<mark>script</mark>&gt;<mark>alert</mark>(1)" in html
    status, html = page(client, "<b>bold</b>")
    assert status == 200 and "<b>bold" not in html
    assert 'value="&lt;b&gt;bold&lt;/b&gt;"' in html
    assert "“&lt;b&gt;bold&lt;/b&gt;”" in html


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"unbalanced',
        "*",
        "a*",
        "NEAR(a b)",
        "-x",
        "a AND b OR NOT c",
        "'; DROP TABLE posts; --",
        "1 OR 1=1",
        "post_search MATCH 'x'",
        "^ : ( ) { } [ ] \\ %",
        "\u0000\x1f",
        "😀 emoji",
    ],
)
def test_operator_laden_queries_give_a_page(client, factory, query):
    factory.posts(1)
    status, html = page(client, query)
    assert status == 200
    assert 'id="search-count"' in html or 'id="search-message"' in html


def test_empty_too_long_and_wordless_queries_get_a_message(client, factory):
    factory.posts(1)
    assert "Type a word or two" in page(client, "")[1]
    assert "Type a word or two" in client.get("/search").get_data(as_text=True)
    status, html = page(client, "x" * (MAX_QUERY + 1))
    assert status == 200 and f"at most {MAX_QUERY} characters" in html
    assert "only punctuation" in page(client, "?!*")[1]
    assert "No published post matches" in page(client, "zzzzqqq")[1]


def test_pages_are_numbered_and_past_the_end_is_404(client, factory, app):
    app.config["MYBLOG_POSTS_PER_PAGE"] = 2
    factory.posts(5, body="pagination words")
    status, html = page(client, "pagination")
    assert status == 200 and "5 posts found." in html
    assert "/search?page=3&amp;q=pagination" in html
    status, html = page(client, "pagination", page=3)
    assert status == 200 and html.count('class="search-hit') == 1
    assert "Page 3" in html.split("</title>")[0]
    assert page(client, "pagination", page=4)[0] == 404
    assert page(client, "pagination", page="x")[0] == 404


def test_searches_are_rate_limited(make_app):
    client = make_app(MYBLOG_SEARCH_LIMIT="2 per minute").test_client()
    assert page(client, "a")[0] == 200
    assert page(client, "b")[0] == 200
    assert page(client, "c")[0] == 429


def test_the_index_follows_a_post_edited_and_deleted_in_the_admin(client, factory):
    [post_id] = factory.posts(1, body="apricot jam")
    login(client)
    fields = {"title": "Fig", "slug": "", "body": "fig jam", "category_id": "0", "tags": ""}
    fields |= {"status": "published", "published_at": "", "allow_comments": "y"}
    response = post_form(client, f"/admin/posts/{post_id}/edit", fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "No published post matches" in page(client, "apricot")[1]
    assert "1 post found." in page(client, "fig")[1]
    response = post_form(client, f"/admin/posts/{post_id}/edit", fields | {"status": "draft"})
    assert response.status_code == 302
    assert "No published post matches" in page(client, "fig")[1]
    response = post_form(client, f"/admin/posts/{post_id}/delete", {})
    assert response.status_code == 302
    assert f"/admin/posts/{post_id}/edit" not in client.get("/admin/posts?q=fig").get_data(
        as_text=True
    )


def test_admin_search_shows_an_author_only_their_own_posts(client, factory):
    writer = factory.user("writer")
    mine = factory.posts(1, author_id=writer.id, body="quince notes")
    draft = factory.posts(1, author_id=writer.id, body="quince draft", status=PostStatus.DRAFT)
    theirs = factory.posts(1, body="quince by the owner")
    other = factory.posts(1, author_id=writer.id, body="unrelated")
    login(client, "writer", "plum-kettle-42")
    html = client.get("/admin/posts?status=all&q=quince").get_data(as_text=True)
    for post_id in mine + draft:
        assert f"/admin/posts/{post_id}/edit" in html
    for post_id in theirs + other:
        assert f"/admin/posts/{post_id}/edit" not in html
    assert 'value="quince"' in html
    html = client.get("/admin/posts?status=all&q=nomatchatall").get_data(as_text=True)
    assert "No post matches" in html


def test_admin_search_sees_every_status_for_the_owner(client, factory):
    ids = factory.posts(1, body="medlar", status=PostStatus.DRAFT)
    ids += factory.posts(1, body="medlar")
    login(client)
    html = client.get("/admin/posts?status=all&q=MEDL").get_data(as_text=True)
    assert all(f"/admin/posts/{post_id}/edit" in html for post_id in ids)
    assert client.get('/admin/posts?status=all&q="').status_code == 200
