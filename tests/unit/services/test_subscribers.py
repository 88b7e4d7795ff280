"""The owner's view of subscribers: counts, pages by state, a formula-safe CSV export."""

from __future__ import annotations

import pytest
from subscription_support import HOUR, NOW, confirmed

from myblog.extensions import db
from myblog.models import Subscriber
from myblog.services.subscribers import (
    SubscriberCounts,
    SubscriberState,
    csv_cell,
    list_subscribers,
    subscriber_counts,
    subscriber_rows,
    subscribers_csv,
)
from myblog.services.subscriptions import subscribe

# -- the owner's list and export ---------------------------------------------------------------


def test_counts_and_pages_by_state(ctx):
    confirmed("a@example.com", "b@example.com")
    subscribe("p@example.com", now=NOW)
    assert subscriber_counts() == SubscriberCounts(confirmed=2, pending=1)
    assert subscriber_counts().total == 3
    everyone = list_subscribers(page=1, per_page=10)
    assert everyone.total == 3
    pending = list_subscribers(page=1, per_page=10, state=SubscriberState.PENDING)
    assert [s.email for s in pending.items] == ["p@example.com"]
    ok = list_subscribers(page=1, per_page=1, state=SubscriberState.CONFIRMED)
    assert ok.total == 2 and ok.pages == 2 and len(ok.items) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("a@example.com", "a@example.com"),
        ("", ""),
    ],
)
def test_csv_cells_never_start_a_formula(value, expected):
    assert csv_cell(value) == expected


def test_csv_export_lists_everyone_with_formula_safe_cells(ctx):
    db.session.add(Subscriber(email="=cmd@example.com", created_at=NOW, confirmed_at=NOW + HOUR))
    db.session.add(Subscriber(email="-p@example.com", created_at=NOW))
    db.session.commit()
    assert list(subscriber_rows()) == [
        ("=cmd@example.com", "confirmed", "2026-03-02T09:00:00+00:00", "2026-03-02T10:00:00+00:00"),
        ("-p@example.com", "pending", "2026-03-02T09:00:00+00:00", ""),
    ]
    text = "".join(subscribers_csv())
    assert text.splitlines() == [
        "email,status,subscribed_at,confirmed_at",
        "'=cmd@example.com,confirmed,2026-03-02T09:00:00+00:00,2026-03-02T10:00:00+00:00",
        "'-p@example.com,pending,2026-03-02T09:00:00+00:00,",
    ]
