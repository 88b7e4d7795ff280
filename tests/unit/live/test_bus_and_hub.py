"""The in-process bus and the hub: a commit that recorded events wakes the streams, a rollback
wakes nobody, the hub reads each new event once and falls back to the database for positions
its memory no longer reaches."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from live_support import LIVE_SETTINGS, wait_for
from sqlalchemy import select

from myblog.extensions import db
from myblog.live import hub as hub_module
from myblog.live.bus import InProcessBus, get_bus, make_bus
from myblog.live.hub import Hub, close_hub, get_hub, wait_until_ready
from myblog.models import EventKind, Post, PostStatus, Role, User
from myblog.models.types import utcnow
from myblog.services import events


def add_post(slug: str = "p") -> Post:
    owner = db.session.scalars(select(User).where(User.role == Role.OWNER)).one()
    post = Post(
        title=slug,
        slug=slug,
        body="",
        body_html="",
        status=PostStatus.PUBLISHED,
        published_at=utcnow() - timedelta(hours=1),
        author_id=owner.id,
    )
    db.session.add(post)
    db.session.commit()
    return post


def record(post: Post) -> int:
    return events.record(EventKind.POST, post_id=post.id, data={"title": "t", "slug": post.slug}).id


def test_the_embedded_default_is_the_in_process_bus(app):
    assert isinstance(get_bus(app), InProcessBus)
    assert make_bus(app).name == "in-process"


def test_a_commit_that_recorded_events_wakes_with_the_newest_id(app, ctx):
    heard: list[int | None] = []
    stop = get_bus(app).subscribe(heard.append)
    try:
        post = add_post()
        assert heard == []  # a commit without events says nothing
        record(post)
        newest = record(post)
        assert heard == []  # nothing before the commit
        db.session.commit()
        assert heard == [newest]
        record(post)
        db.session.rollback()
        db.session.commit()
        assert heard == [newest]  # the rolled back event woke nobody
    finally:
        stop()


def test_the_hub_reads_new_events_once_and_releases_its_waiters(make_app):
    app = make_app(**LIVE_SETTINGS)
    with app.app_context():
        post = add_post()
        hub = get_hub(app)
        try:
            assert wait_until_ready(hub, 5)
            start = hub.latest
            released = threading.Event()
            waiter = threading.Thread(target=lambda: (hub.wait(start, 10), released.set()))
            waiter.start()
            first = record(post)
            second = record(post)
            db.session.commit()
            assert released.wait(5)
            waiter.join()
            assert [e.id for e in hub.read(start)] == [first, second]
            assert [e.id for e in hub.read(first)] == [second]
            assert hub.read(second) == []
        finally:
            close_hub(app)


def test_a_position_older_than_the_hubs_memory_reads_the_database(make_app, monkeypatch):
    monkeypatch.setattr(hub_module, "RING_SIZE", 2)
    app = make_app(**LIVE_SETTINGS)
    with app.app_context():
        post = add_post()
        hub = get_hub(app)
        try:
            assert wait_until_ready(hub, 5)
            ids = []
            for _ in range(5):
                ids.append(record(post))
                db.session.commit()
                wait_for(lambda: hub.latest == ids[-1], 5, "the hub to read the event")
            assert hub.read(ids[0]) is None  # evicted: the stream asks the database
            assert [e.id for e in hub.read(ids[-2])] == [ids[-1]]
        finally:
            close_hub(app)


def test_events_committed_by_another_process_are_found_by_the_poll(make_app):
    # another app on the same database file stands for `flask publish-due` in another process
    app = make_app(**LIVE_SETTINGS)
    other = make_app(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], schema=False)
    with app.app_context():
        hub = get_hub(app)
    try:
        assert wait_until_ready(hub, 5)
        with other.app_context():
            newest = record(add_post())
            db.session.commit()
        started = time.monotonic()
        wait_for(lambda: hub.latest == newest, 5, "the poll to find the other process's event")
        assert time.monotonic() - started < 3  # MYBLOG_LIVE_DB_POLL_SECONDS is 0.3 s here
    finally:
        close_hub(app)


def test_a_closed_hub_releases_its_streams_and_a_new_one_starts_on_demand(make_app):
    app = make_app(**LIVE_SETTINGS)
    hub: Hub = get_hub(app)
    assert wait_until_ready(hub, 5)
    done = threading.Event()
    waiter = threading.Thread(target=lambda: (hub.wait(hub.latest or 0, 30), done.set()))
    waiter.start()
    close_hub(app)
    assert done.wait(5)
    waiter.join()
    again = get_hub(app)
    try:
        assert again is not hub and wait_until_ready(again, 5)
    finally:
        close_hub(app)
