"""Public listings: newest first, filtered, by month, the archive, terms and authors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from writing import HOUR, NOW, new_user, owner, publish_at, write

from myblog.extensions import db
from myblog.models import Category, Post, PostStatus, Tag
from myblog.queries.listings import (
    PageNotFound,
    Term,
    archive_months,
    find_author,
    find_term,
    posts_in_month,
    public_posts,
)
from myblog.services.posts import delete_post
from myblog.services.taxonomy import create_category, get_or_create_tags


def test_find_term_and_find_author_read_plain_values(ctx):
    category = create_category("Travel notes")
    [tag] = get_or_create_tags(["python"])
    db.session.commit()
    assert find_term(Category, category.slug) == Term(category.id, "Travel notes", category.slug)
    assert find_term(Tag, "python").name == "python"
    assert find_term(Category, "python") is None and find_term(Tag, category.slug) is None
    me = owner()
    found = find_author(me.username)
    assert (found.id, found.username, found.display_name) == (me.id, me.username, me.display_name)
    assert find_author("nobody") is None


def test_public_posts_lists_readable_posts_newest_first(ctx):
    publish_at(NOW - 3 * HOUR, "Third")
    publish_at(NOW - 1 * HOUR, "First")
    publish_at(NOW - 2 * HOUR, "Second")
    write("Draft")
    write("Future", status=PostStatus.SCHEDULED, published_at=NOW + HOUR)
    page = public_posts(page=1, per_page=2, now=NOW)
    assert (page.has_prev, page.has_next, page.next_num) == (False, True, 2)
    assert [post.title for post in page.items] == ["First", "Second"]
    last = public_posts(page=2, per_page=2, now=NOW)
    assert [post.title for post in last.items] == ["Third"]
    assert (last.has_prev, last.prev_num, last.has_next) == (True, 1, False)
    with pytest.raises(PageNotFound):
        public_posts(page=3, per_page=2, now=NOW)


def test_public_posts_filter_by_category_tag_and_author(ctx):
    author = new_user("writer")
    category = create_category("Travel")
    (tag,) = get_or_create_tags(["flask"])
    db.session.commit()
    publish_at(NOW - HOUR, "In category", category_id=category.id)
    publish_at(NOW - HOUR, "Tagged", tags=["Flask"])
    publish_at(NOW - HOUR, "By writer", author=author)
    write("Draft in category", category_id=category.id, tags=["flask"], author=author)

    def titles(**filters) -> list[str]:
        return [p.title for p in public_posts(page=1, per_page=10, now=NOW, **filters).items]

    assert titles(category=category) == ["In category"]
    assert titles(tag=tag) == ["Tagged"]
    assert titles(author=author) == ["By writer"]
    assert len(titles()) == 3


@pytest.mark.parametrize(
    ("last_moment", "first_moment", "month", "next_month"),
    [
        (datetime(2024, 1, 31, 23, 59, 59, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC), 1, 2),
        (datetime(2023, 12, 31, 23, 59, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC), 12, 1),
    ],
)
def test_posts_in_month_includes_the_last_minute_and_not_the_next_first(
    ctx, last_moment, first_moment, month, next_month
):
    publish_at(last_moment, "Last moment")
    publish_at(first_moment, "First moment")
    inside = posts_in_month(year=last_moment.year, month=month, page=1, per_page=10, now=NOW)
    assert [post.title for post in inside.items] == ["Last moment"]
    after = posts_in_month(year=first_moment.year, month=next_month, page=1, per_page=10, now=NOW)
    assert [post.title for post in after.items] == ["First moment"]


def test_posts_in_month_hides_unreadable_posts(ctx):
    write("Draft")
    write("Future", status=PostStatus.SCHEDULED, published_at=NOW + HOUR)
    assert posts_in_month(year=NOW.year, month=NOW.month, page=1, per_page=10, now=NOW).items == []


def test_archive_months_counts_readable_posts_per_month_newest_first(ctx):
    publish_at(datetime(2024, 1, 1, tzinfo=UTC))
    publish_at(datetime(2024, 1, 31, 23, 59, tzinfo=UTC))
    publish_at(datetime(2024, 2, 1, tzinfo=UTC))
    publish_at(datetime(2023, 12, 31, 23, 59, tzinfo=UTC))
    write("Draft")
    write("Future", status=PostStatus.SCHEDULED, published_at=NOW + HOUR)
    assert archive_months(now=NOW) == [(2024, 2, 1), (2024, 1, 2), (2023, 12, 1)]
    assert archive_months(now=datetime(2024, 1, 15, tzinfo=UTC)) == [(2024, 1, 1), (2023, 12, 1)]


def total_in_archive() -> int:
    return sum(count for _, _, count in archive_months())


def test_archive_counts_are_cached_until_a_post_changes(ctx):
    publish_at(NOW - 24 * HOUR, "Old")
    assert total_in_archive() == 1
    sneaked = Post(
        title="Sneaked",
        slug="sneaked",
        status=PostStatus.PUBLISHED,
        published_at=NOW - HOUR,
        author=owner(),
    )
    db.session.add(sneaked)
    db.session.commit()
    assert total_in_archive() == 1  # written behind the service's back: still the cached answer
    new = write("New", status=PostStatus.PUBLISHED)
    assert total_in_archive() == 3
    delete_post(new)
    assert total_in_archive() == 2
