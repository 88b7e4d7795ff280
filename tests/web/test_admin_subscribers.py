"""The owner and admins see the subscribers and export them as CSV; authors may not."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from support import login

from myblog.extensions import db
from myblog.models import Role, Subscriber

T0 = datetime(2026, 2, 1, 8, 30, tzinfo=UTC)


def add_subscribers(app) -> None:
    with app.app_context():
        db.session.add_all(
            [
                Subscriber(email="ann@example.com", created_at=T0, confirmed_at=T0),
                Subscriber(email="=HYPERLINK(evil)@example.com", created_at=T0, confirmed_at=T0),
                Subscriber(email="+bob@example.com", created_at=T0 + timedelta(days=1)),
                Subscriber(email="-carl@example.com", created_at=T0 + timedelta(days=2)),
                Subscriber(email="@dora@example.com", created_at=T0 + timedelta(days=3)),
            ]
        )
        db.session.commit()


def test_the_owner_sees_subscribers_with_counts_and_states(app, client):
    add_subscribers(app)
    login(client)
    response = client.get("/admin/subscribers")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for text in ("All (5)", "Confirmed (2)", "Pending (3)", "ann@example.com", "+bob@example.com"):
        assert text in html
    assert "Feb 1, 2026, 08:30" in html  # in the blog's zone (UTC) and language
    assert 'href="/admin/subscribers"' in html  # the admin menu's link
    assert 'href="/admin/subscribers.csv"' in html

    pending = client.get("/admin/subscribers?state=pending").get_data(as_text=True)
    assert "+bob@example.com" in pending and "ann@example.com" not in pending
    confirmed = client.get("/admin/subscribers?state=confirmed").get_data(as_text=True)
    assert "ann@example.com" in confirmed and "+bob@example.com" not in confirmed
    assert client.get("/admin/subscribers?state=bogus").status_code == 404
    assert "No subscribers." in client.get("/admin/subscribers?page=9").get_data(as_text=True)


def test_an_empty_list_says_so(client):
    login(client)
    html = client.get("/admin/subscribers").get_data(as_text=True)
    assert "No subscribers." in html and "All (0)" in html


def test_the_list_pages(app, client):
    with app.app_context():
        db.session.add_all(
            Subscriber(email=f"r{i:02}@example.com", created_at=T0 + timedelta(minutes=i))
            for i in range(51)
        )
        db.session.commit()
    login(client)
    first = client.get("/admin/subscribers").get_data(as_text=True)
    assert "r50@example.com" in first and "r00@example.com" not in first  # newest first
    assert 'href="/admin/subscribers?page=2&amp;state=all"' in first
    second = client.get("/admin/subscribers?page=2&state=all").get_data(as_text=True)
    assert "r00@example.com" in second and "r50@example.com" not in second


def test_csv_export_is_an_attachment_with_formula_safe_cells(app, client):
    add_subscribers(app)
    login(client)
    response = client.get("/admin/subscribers.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="subscribers-') and ".csv" in disposition
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows == [
        ["email", "status", "subscribed_at", "confirmed_at"],
        ["ann@example.com", "confirmed", "2026-02-01T08:30:00+00:00", "2026-02-01T08:30:00+00:00"],
        [
            "'=HYPERLINK(evil)@example.com",
            "confirmed",
            "2026-02-01T08:30:00+00:00",
            "2026-02-01T08:30:00+00:00",
        ],
        ["'+bob@example.com", "pending", "2026-02-02T08:30:00+00:00", ""],
        ["'-carl@example.com", "pending", "2026-02-03T08:30:00+00:00", ""],
        ["'@dora@example.com", "pending", "2026-02-04T08:30:00+00:00", ""],
    ]


def test_an_empty_export_has_the_header_line(client):
    login(client)
    response = client.get("/admin/subscribers.csv")
    assert response.get_data(as_text=True) == "email,status,subscribed_at,confirmed_at\r\n"


def test_an_admin_may_see_and_export_them(app, client, factory):
    add_subscribers(app)
    factory.user("helper", role=Role.ADMIN)
    login(client, "helper", "plum-kettle-42")
    page = client.get("/admin/subscribers")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in ("All (5)", "Confirmed (2)", "Pending (3)", "ann@example.com", "@dora@example.com"):
        assert text in html
    assert 'href="/admin/subscribers.csv"' in html
    export = client.get("/admin/subscribers.csv")
    assert export.status_code == 200
    assert export.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True))))
    assert rows[0] == ["email", "status", "subscribed_at", "confirmed_at"]
    assert [row[:2] for row in rows[1:]] == [
        ["ann@example.com", "confirmed"],
        ["'=HYPERLINK(evil)@example.com", "confirmed"],
        ["'+bob@example.com", "pending"],
        ["'-carl@example.com", "pending"],
        ["'@dora@example.com", "pending"],
    ]


@pytest.mark.parametrize("path", ["/admin/subscribers", "/admin/subscribers.csv"])
def test_authors_are_refused(app, client, factory, path):
    add_subscribers(app)
    factory.user("writer")
    login(client, "writer", "plum-kettle-42")
    response = client.get(path)
    assert response.status_code == 403
    assert "ann@example.com" not in response.get_data(as_text=True)
    menu = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/subscribers"' not in menu


@pytest.mark.parametrize("path", ["/admin/subscribers", "/admin/subscribers.csv"])
def test_anonymous_visitors_are_sent_to_log_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
