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
