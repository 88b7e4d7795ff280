"""Search on both databases: the same data gives the same results, in the same order; the
index follows every change to a post in the change's own transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, text
from writing import HOUR, NOW, new_user, owner, write

from myblog.extensions import db
from myblog.models import PostStatus
from myblog.services import posts as post_service
from myblog.services import search, taxonomy
from myblog.services.accounts import setup_blog
from myblog.services.posts import PostInput
from myblog.services.search import search_posts


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def search_app(request, make_app):
    """An app with its schema and owner, on each database."""
    if request.param == "sqlite":
        return make_app()
    app = request.getfixturevalue("make_pg_app")()
    with app.app_context():
        db.create_all()
        setup_blog(title="Test Blog", username="owner", email="o@example.com", password=PASSWORD)
        db.session.remove()
    return app


def live(title: str, body: str, *, days: int = 1, tags=(), author=None):
    return write(
        title,
        body=body,
        tags=list(tags),
        status=PostStatus.PUBLISHED,
        published_at=NOW - timedelta(days=days),
        author=author,
    )


def found(raw: str, *, page: int = 1, per_page: int = 10) -> list[str]:
    return [hit.slug for hit in search_posts(raw, page=page, per_page=per_page, now=NOW).hits]


def blog() -> None:
    live("Flask 搜索引擎入门", "How a search engine indexes posts.", days=5, tags=["python"])
    live("Notes on caching", "Flask caches pages; 搜索 results are not cached.", days=4)
    live("数据库笔记", "SQLite 的全文检索：FTS5 与 bm25。", days=3, tags=["数据库"])
    live("Pythonic code", "Write PYTHON the pythonic way. Engines are fun.", days=2)
    live("空的", "一个字：的", days=1)
    write("Draft about flask", body="flask 搜索 draft 的", status=PostStatus.DRAFT)
    write(
        "Scheduled flask",
        body="flask 搜索 的 soon",
        status=PostStatus.SCHEDULED,
        published_at=NOW + timedelta(days=1),
    )


PASSWORD = "plum-kettle-42"
CASES = [
    # title and tags rank above the body; then newest first
    ("flask", ["flask-sou-suo-yin-qing-ru-men", "notes-on-caching"]),
    ("FLA", ["flask-sou-suo-yin-qing-ru-men", "notes-on-caching"]),
    ("搜", ["flask-sou-suo-yin-qing-ru-men", "notes-on-caching"]),
    ("搜索", ["flask-sou-suo-yin-qing-ru-men", "notes-on-caching"]),
    ("搜索引擎", ["flask-sou-suo-yin-qing-ru-men"]),
    ("的", ["kong-de", "shu-ju-ku-bi-ji"]),
    ("python", ["pythonic-code", "flask-sou-suo-yin-qing-ru-men"]),
    ("数据库", ["shu-ju-ku-bi-ji"]),
    ('"engines are"', ["pythonic-code"]),
    ('"are engines"', []),
    ("fts5 bm25", ["shu-ju-ku-bi-ji"]),
    ("全文检索 sqlite", ["shu-ju-ku-bi-ji"]),
    ("nothing-like-this", []),
    ('"', []),
    ("'; DROP TABLE posts; --", []),
    ("NEAR(flask cache) OR *", []),
    ("flask -caching", ["notes-on-caching"]),
]


def test_same_results_on_both_databases(search_app):
    # one data set, every case: each database must give exactly these lists
    with search_app.app_context():
        blog()
        assert {raw: found(raw) for raw, _ in CASES} == dict(CASES)


def test_pages_and_the_total(search_app):
    with search_app.app_context():
        for day in range(5):
            live(f"Paging {day}", "flask", days=day + 1)
        first = search_posts("flask", page=1, per_page=2, now=NOW)
        assert first.total == 5 and first.pages == 3 and first.has_next
        assert [hit.title for hit in first.hits] == ["Paging 0", "Paging 1"]
        assert found("flask", page=3, per_page=2) == ["paging-4"]


def test_the_index_follows_edits_deletes_and_unpublishing(search_app):
    with search_app.app_context():
        post = live("Old title", "apples")
        assert found("apples") == [post.slug]
        post_service.save_post(
            PostInput(title="New title", body="oranges", status=PostStatus.PUBLISHED),
            author=owner(),
            post=post,
            now=NOW,
        )
        assert found("apples") == [] and found("oranges") == [post.slug]
        assert found("new") == [post.slug] and found("old") == []
        post_service.save_post(
            PostInput(title="New title", body="oranges", status=PostStatus.DRAFT),
            author=owner(),
            post=post,
            now=NOW,
        )
        assert found("oranges") == []
        post_id = post.id
        assert post_service.delete_post(post)
        rows = db.session.execute(text(_index_rows()), {"id": post_id}).all()
        assert rows == []


def _index_rows() -> str:
    if db.engine.dialect.name == "sqlite":
        return "SELECT rowid FROM post_search WHERE rowid = :id"
    return "SELECT post_id FROM post_search WHERE post_id = :id"


def test_a_scheduled_post_is_found_once_its_time_comes(search_app):
    with search_app.app_context():
        write("Later", body="walnuts", status=PostStatus.SCHEDULED, published_at=NOW + HOUR)
        assert found("walnuts") == []
        later = search_posts("walnuts", page=1, per_page=10, now=NOW + 2 * HOUR)
        assert [hit.slug for hit in later.hits] == ["later"]


def test_renamed_merged_and_deleted_tags_are_reindexed(search_app):
    with search_app.app_context():
        post = live("Tagged", "body", tags=["rust"])
        other = live("Other", "body", tags=["golang"])
        assert found("rust") == [post.slug]
        rust = taxonomy.get_or_create_tags(["rust"])[0]
        taxonomy.rename(rust, "ferris")
        assert found("rust") == [] and found("ferris") == [post.slug]
        golang = taxonomy.get_or_create_tags(["golang"])[0]
        taxonomy.merge_tags(golang, taxonomy.get_or_create_tags(["ferris"])[0])
        assert found("golang") == [] and found("ferris") == [other.slug, post.slug]
        taxonomy.delete_term(taxonomy.get_or_create_tags(["ferris"])[0])
        assert found("ferris") == []


def test_deleting_an_author_deletes_their_entries(search_app):
    with search_app.app_context():
        writer = new_user("writer")
        post = live("By writer", "hazelnuts", author=writer)
        post_id = post.id
        from myblog.models import User

        db.session.execute(delete(User).where(User.id == writer.id))
        db.session.commit()
        assert db.session.execute(text(_index_rows()), {"id": post_id}).all() == []


def test_reindex_rebuilds_a_lost_index(search_app):
    with search_app.app_context():
        post = live("Pecans", "pecans")
        db.session.execute(text("DELETE FROM post_search"))
        db.session.commit()
        assert found("pecans") == []
        assert search.reindex_all() == 1
        assert found("pecans") == [post.slug]


def test_the_admin_condition_matches_every_status(search_app):
    from sqlalchemy import select

    from myblog.models import Post

    with search_app.app_context():
        blog()
        condition = search.matching_posts("flask")
        titles = set(db.session.scalars(select(Post.title).where(condition)))
        assert titles == {
            "Flask 搜索引擎入门",
            "Notes on caching",
            "Draft about flask",
            "Scheduled flask",
        }
        assert not db.session.scalars(select(Post.id).where(search.matching_posts("*"))).all()


def test_past_the_candidates_the_newest_and_the_titled_are_ranked(search_app):
    # a common word matches most posts: only the newest matches and the newest with it in the
    # title or tags are ranked, the same ones on both databases
    search_app.config["MYBLOG_SEARCH_CANDIDATES"] = 2
    with search_app.app_context():
        titled = live("Kiwi season", "fruit", days=30)
        body_only = [live(f"Fruit {n}", "kiwi and more", days=10 - n) for n in range(4)]
        results = search_posts("kiwi", page=1, per_page=10, now=NOW)
        assert results.more and results.total == 3
        newest = [post.slug for post in reversed(body_only[2:])]
        assert [hit.slug for hit in results.hits] == [titled.slug, *newest]
        search_app.config["MYBLOG_SEARCH_CANDIDATES"] = 10
        results = search_posts("kiwi", page=1, per_page=10, now=NOW)
        assert not results.more and results.total == 5


def test_a_huge_word_is_indexed_by_its_beginning(search_app):
    # PostgreSQL refuses a lexeme over 2 KB: a pasted blob must not stop the post being saved
    blob = "a" * 5000
    with search_app.app_context():
        post = live("Blob", f"data {blob} end")
        assert found(blob[:150]) == [post.slug]
        assert found("end") == [post.slug]


def test_settling_the_index_after_a_bulk_write_keeps_every_result(search_app):
    # on PostgreSQL, moves the GIN indexes' pending entries into the indexes; on SQLite, nothing
    with search_app.app_context():
        blog()
        search.settle_index(db.session.connection())
        db.session.commit()
        assert {raw: found(raw) for raw, _ in CASES} == dict(CASES)
        assert search.reindex_all() == 7
        assert found("flask") == dict(CASES)["flask"]
