"""Live events on PostgreSQL: ids become visible in id order (the advisory lock `record`
takes), so a reader that has seen id N never meets a smaller id later; replay and the page's
position work on the migrated schema."""

from __future__ import annotations

import threading
import time

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select
from support import OWNER_PASSWORD

from myblog.extensions import db
from myblog.models import EventKind, PostStatus, User
from myblog.services import events
from myblog.services.accounts import setup_blog
from myblog.services.posts import PostInput, save_post

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_app(make_pg_app) -> Flask:
    app = make_pg_app()
    with app.app_context():
        upgrade()
        setup_blog(title="Live", username="owner", email="o@example.com", password=OWNER_PASSWORD)
    return app


def test_a_later_id_cannot_commit_before_an_earlier_one(pg_app):
    recorded = threading.Event()
    order: list[str] = []

    def slow_writer() -> None:
        with pg_app.app_context():
            events.record(EventKind.SUBSCRIBER, data={"email": "first@example.org"})
            recorded.set()
            time.sleep(0.5)  # holds id N, uncommitted
            order.append("first committed")
            db.session.commit()

    first = threading.Thread(target=slow_writer)
    first.start()
    assert recorded.wait(10)
    with pg_app.app_context():
        # a reader now sees nothing yet, and the second writer waits for the first's commit
        assert events.replay(0).events == []
        db.session.rollback()
        second = events.record(EventKind.SUBSCRIBER, data={"email": "second@example.org"}).id
        order.append("second recorded")
        db.session.commit()
        first.join()
        ids = [e.id for e in events.replay(0).events]
    assert order == ["first committed", "second recorded"]
    assert ids == sorted(ids) and ids[-1] == second


def test_a_published_post_is_replayed_and_its_page_carries_the_position(pg_app):
    with pg_app.app_context():
        owner = db.session.scalars(select(User)).one()
        post = save_post(
            PostInput(title="Hello", body="x", status=PostStatus.PUBLISHED), author=owner
        )
        [event] = events.replay(0).events
        assert (event.kind, event.post_id, event.public) == (EventKind.POST, post.id, True)
        slug = post.slug
    page = pg_app.test_client().get(f"/post/{slug}").get_data(as_text=True)
    assert f'data-live-after="{event.id}"' in page
    home = pg_app.test_client().get("/").get_data(as_text=True)
    assert f'data-live-after="{event.id}"' in home
