"""Unit tests for categories and tags: splitting, reuse, rename, merge, delete, counts."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from myblog.extensions import db
from myblog.models import Category, Post, Tag, post_tags
from myblog.services.taxonomy import (
    TaxonomyError,
    categories,
    create_category,
    delete_term,
    get_or_create_tags,
    merge,
    merge_categories,
    merge_tags,
    others,
    rename,
    split_tags,
    term_by_id,
    with_counts,
)


def tag_names_of(post_id: int) -> list[str]:
    post = db.session.get(Post, post_id)
    assert post is not None
    return [tag.name for tag in post.tags]


def tag_rows(post_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(post_tags).where(post_tags.c.post_id == post_id)
    )


def tag_by_name(name: str) -> Tag | None:
    return db.session.scalar(select(Tag).where(Tag.name == name))


# -- split_tags ------------------------------------------------------------------------------


def test_split_tags_accepts_ascii_and_chinese_separators():
    assert split_tags("a, b，c、d;e；f") == ["a", "b", "c", "d", "e", "f"]


def test_split_tags_trims_collapses_spaces_and_drops_blanks():
    assert split_tags("  big   data , ,，  , 机器 学习 ") == ["big data", "机器 学习"]
    assert split_tags("") == []
    assert split_tags(" , ， ") == []


def test_split_tags_drops_case_insensitive_repeats_keeping_the_first_spelling():
    assert split_tags("Flask, flask, FLASK, Python") == ["Flask", "Python"]


def test_split_tags_truncates_overlong_names():
    (name,) = split_tags("x" * 100)
    assert name == "x" * 60


# -- get_or_create_tags ----------------------------------------------------------------------


def test_get_or_create_tags_reuses_existing_tags_case_insensitively(ctx):
    (first,) = get_or_create_tags(["Flask"])
    db.session.commit()
    again = get_or_create_tags(["flask", "FLASK", "Python"])
    db.session.commit()
    assert [tag.id for tag in again][0] == first.id
    assert len(again) == 2
    assert [tag.name for tag in again] == ["Flask", "Python"]
    assert db.session.scalar(select(func.count(Tag.id))) == 2


def test_get_or_create_tags_makes_pinyin_and_unique_slugs(ctx):
    tags = get_or_create_tags(["笔记", "C++", "C", "!!!"])
    db.session.commit()
    assert [tag.slug for tag in tags] == ["bi-ji", "c", "c-2", "tag"]


def test_get_or_create_tags_refuses_a_blank_name(ctx):
    with pytest.raises(TaxonomyError):
        get_or_create_tags(["   "])


def test_get_or_create_tags_does_not_commit(ctx):
    get_or_create_tags(["pending"])
    db.session.rollback()
    assert tag_by_name("pending") is None


# -- categories and renaming -----------------------------------------------------------------


def test_create_category_refuses_a_duplicate_name_in_any_case(ctx):
    category = create_category("  Web   Development ")
    assert (category.name, category.slug) == ("Web Development", "web-development")
    with pytest.raises(TaxonomyError, match="already exists"):
        create_category("web development")
    with pytest.raises(TaxonomyError):
        create_category("   ")
    with pytest.raises(TaxonomyError):
        create_category("x" * 61)
    assert db.session.scalar(select(func.count(Category.id))) == 1


def test_rename_moves_the_slug_with_the_name(ctx):
    category = create_category("Old name")
    rename(category, "编程 Notes")
    db.session.expire_all()
    again = db.session.get(Category, category.id)
    assert (again.name, again.slug) == ("编程 Notes", "bian-cheng-notes")


def test_rename_refuses_a_name_another_term_has(ctx):
    python, flask = get_or_create_tags(["Python", "Flask"])
    db.session.commit()
    with pytest.raises(TaxonomyError, match="merge"):
        rename(flask, "python")
    db.session.rollback()
    assert db.session.get(Tag, flask.id).name == "Flask"


def test_rename_to_a_new_spelling_keeps_the_slug_free_of_a_suffix(ctx):
    (tag,) = get_or_create_tags(["flask"])
    db.session.commit()
    rename(tag, "Flask")
    assert (tag.name, tag.slug) == ("Flask", "flask")
    rename(tag, "Flask")  # no change at all is fine too
    assert tag.slug == "flask"


# -- merging and deleting --------------------------------------------------------------------


def test_merge_tags_gives_posts_the_target_once(app, factory):
    both = factory.posts(1, tags=["A", "B"])[0]
    only_a = factory.posts(1, tags=["A"])[0]
    only_b = factory.posts(1, tags=["B"])[0]
    with app.app_context():
        merge_tags(tag_by_name("A"), tag_by_name("B"))
    with app.app_context():
        assert tag_by_name("A") is None
        for post_id in (both, only_a, only_b):
            assert tag_names_of(post_id) == ["B"]
            assert tag_rows(post_id) == 1


def test_merge_tags_refuses_merging_into_itself(ctx):
    (tag,) = get_or_create_tags(["solo"])
    db.session.commit()
    with pytest.raises(TaxonomyError):
        merge_tags(tag, tag)


def test_merge_categories_moves_posts_and_drops_the_source(app, factory):
    with app.app_context():
        source_id = create_category("Source").id
        target_id = create_category("Target").id
    moved = factory.posts(2, category_id=source_id)
    kept = factory.posts(1, category_id=target_id)
    with app.app_context():
        merge_categories(db.session.get(Category, source_id), db.session.get(Category, target_id))
    with app.app_context():
        assert db.session.get(Category, source_id) is None
        for post_id in moved + kept:
            assert db.session.get(Post, post_id).category_id == target_id
        with pytest.raises(TaxonomyError):
            target = db.session.get(Category, target_id)
            merge_categories(target, target)


def test_merge_picks_categories_or_tags_by_the_terms(app, factory):
    with app.app_context():
        source_id = create_category("Source").id
        target_id = create_category("Target").id
    post_id = factory.posts(1, category_id=source_id, tags=["A", "B"])[0]
    with app.app_context():
        merge(db.session.get(Category, source_id), db.session.get(Category, target_id))
        merge(tag_by_name("A"), tag_by_name("B"))
    with app.app_context():
        assert db.session.get(Post, post_id).category_id == target_id
        assert tag_names_of(post_id) == ["B"]


def test_merge_refuses_a_category_into_a_tag(ctx):
    category = create_category("Mixed")
    (tag,) = get_or_create_tags(["mixed"])
    db.session.commit()
    with pytest.raises(TypeError):
        merge(category, tag)
    assert db.session.get(Category, category.id) is not None


def test_refused_changes_leave_the_session_clean(ctx):
    web = create_category("Web")
    create_category("Python")
    (tag,) = get_or_create_tags(["solo"])
    db.session.commit()
    refusals = [
        lambda: create_category("web"),
        lambda: rename(web, "python"),
        lambda: rename(web, "   "),
        lambda: merge(web, web),
        lambda: merge(tag, tag),
    ]
    for refused in refusals:
        with pytest.raises(TaxonomyError):
            refused()
        assert not (db.session.new or db.session.dirty or db.session.deleted)


def test_the_reads_for_the_admin_pages(ctx):
    beta = create_category("Beta")
    create_category("Alpha")
    gamma = create_category("Gamma")
    assert [category.name for category in categories()] == ["Alpha", "Beta", "Gamma"]
    assert [category.name for category in others(beta)] == ["Alpha", "Gamma"]
    assert term_by_id(Category, gamma.id) is gamma
    assert term_by_id(Tag, gamma.id) is None


def test_deleting_a_category_leaves_its_posts_uncategorised(app, factory):
    with app.app_context():
        category_id = create_category("Doomed").id
    post_ids = factory.posts(2, category_id=category_id)
    with app.app_context():
        delete_term(db.session.get(Category, category_id))
    with app.app_context():
        assert db.session.get(Category, category_id) is None
        for post_id in post_ids:
            post = db.session.get(Post, post_id)
            assert post is not None and post.category_id is None


def test_deleting_a_tag_removes_it_from_posts_only(app, factory):
    post_id = factory.posts(1, tags=["keep", "drop"])[0]
    with app.app_context():
        delete_term(tag_by_name("drop"))
    with app.app_context():
        assert tag_by_name("drop") is None
        assert tag_names_of(post_id) == ["keep"]
        assert tag_rows(post_id) == 1


def test_with_counts_lists_every_term_by_name_with_its_posts(app, factory):
    with app.app_context():
        busy = create_category("Busy").id
        create_category("Empty")
    factory.posts(3, category_id=busy, tags=["zeta", "alpha"])
    factory.posts(1, tags=["alpha"])
    with app.app_context():
        get_or_create_tags(["unused"])
        db.session.commit()
        assert [(c.name, n) for c, n in with_counts(Category)] == [("Busy", 3), ("Empty", 0)]
        assert [(t.name, n) for t, n in with_counts(Tag)] == [
            ("alpha", 4),
            ("unused", 0),
            ("zeta", 3),
        ]
