"""The page numbers a listing shows: windowed, and never hiding a page that exists."""

from __future__ import annotations

import pytest

from myblog.queries.listings import Page


def numbers(page: int, total: int | None, has_next: bool, per_page: int = 10) -> list[int | None]:
    return list(Page([], page=page, per_page=per_page, has_next=has_next, total=total).iter_pages())


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (1, [1, 2, 3, None, 10]),
        (4, [1, 2, 3, 4, 5, 6, None, 10]),
        (5, [1, None, 3, 4, 5, 6, 7, None, 10]),
        (10, [1, None, 8, 9, 10]),
    ],
)
def test_pages_are_windowed_around_the_current_one(page, expected):
    assert numbers(page, 100, has_next=page < 10) == expected


def test_a_stale_count_never_hides_the_next_page_nor_invents_one():
    assert numbers(3, 20, has_next=True) == [1, 2, 3, 4]  # count too low: one more page exists
    assert numbers(2, 100, has_next=False) == [1, 2]  # count too high: this is the last page
    assert numbers(1, None, has_next=True) == [1, 2]  # not counted at all
    assert Page([], page=1, per_page=10, has_next=False, total=0).pages == 1


def test_the_count_is_the_readable_posts_only(ctx):
    from datetime import UTC, datetime, timedelta

    from myblog.extensions import db
    from myblog.models import Post, PostStatus, User
    from myblog.queries.listings import public_posts

    now = datetime(2026, 1, 1, tzinfo=UTC)
    owner = db.session.scalars(db.select(User)).first()
    rows = [
        (PostStatus.PUBLISHED, now - timedelta(days=2)),
        (PostStatus.PUBLISHED, now - timedelta(days=1)),
        (PostStatus.SCHEDULED, now - timedelta(hours=1)),  # its time has come: readable
        (PostStatus.SCHEDULED, now + timedelta(days=1)),  # not yet
        (PostStatus.DRAFT, now - timedelta(days=3)),  # a draft that keeps an old date
        (PostStatus.DRAFT, None),
    ]
    for n, (status, when) in enumerate(rows):
        db.session.add(
            Post(
                title=f"P{n}", slug=f"p{n}", body="x", body_html="<p>x</p>", excerpt="x",
                status=status, published_at=when, author=owner,
            )
        )  # fmt: skip
    db.session.commit()
    page = public_posts(page=1, per_page=2, now=now)
    assert page.total == 3 and page.pages == 2 and page.has_next
