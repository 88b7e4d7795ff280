"""The live endpoints: Server-Sent Events (replay with Last-Event-ID, heartbeats, access), long
polling (blocks until an event or its time is up, same ids), the editor's preview WebSocket."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from live_support import LIVE_SETTINGS, EventStream, post_by, served, wait_for
from sqlalchemy import select, update
from support import Factory, login

from myblog.extensions import db
from myblog.models import CommentPolicy, LiveEvent, Post, PostStatus, Role, User
from myblog.models.types import utcnow
from myblog.services import events
from myblog.services.comments import CommentInput, Submission, moderate, submit_comment

GUEST = Submission(ip="198.51.100.4", started_at=utcnow() - timedelta(minutes=5))


@pytest.fixture
def live_app(make_app):
    return make_app(**LIVE_SETTINGS)


@pytest.fixture
def client(live_app):
    return live_app.test_client()


def new_post(app, *, slug: str = "p", status=PostStatus.PUBLISHED, author: str = "owner") -> int:
    with app.app_context():
        writer = db.session.scalars(select(User).where(User.username == author)).one()
        return post_by(writer, slug, status=status).id


def comment(app, post_id: int, *, policy=CommentPolicy.OPEN, body="Hello live") -> int:
    with app.app_context():
        post = db.session.get(Post, post_id)
        data = CommentInput(body=body, name="Guest", email="guest-secret@example.net")
        return submit_comment(post, data, user=None, submission=GUEST, policy=policy).id


def event_ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(LiveEvent.id).order_by(LiveEvent.id)))


# -- Server-Sent Events ------------------------------------------------------------------------


def test_a_stream_replays_after_last_event_id_then_follows_live(live_app):
    post_id = new_post(live_app)
    comments = [comment(live_app, post_id, body=f"Number {n}") for n in range(3)]
    first, second, third = event_ids(live_app)
    with served(live_app) as base:
        url = f"{base}/live/posts/{post_id}/events"
        with EventStream(url, {"Last-Event-ID": str(first)}) as stream:
            assert stream.response.status == 200
            replayed = stream.events(2)
            assert [m.id for m in replayed] == [str(second), str(third)]
            assert [m.event for m in replayed] == ["comment", "comment"]
            assert replayed[0].json()["comment_id"] == comments[1]
            assert f'id="comment-{comments[1]}"' in replayed[0].json()["html"]
            live = comment(live_app, post_id, body="Arrived while connected")
            [arrived] = stream.events(1)
            assert arrived.json()["comment_id"] == live
            assert "Arrived while connected" in arrived.json()["html"]
            assert "guest-secret@example.net" not in arrived.data


def test_a_stream_says_what_it_is_and_beats_while_idle(live_app):
    post_id = new_post(live_app)
    with served(live_app) as base, EventStream(f"{base}/live/posts/{post_id}/events") as stream:
        headers = stream.response.headers
        assert headers["Content-Type"].startswith("text/event-stream")
        assert headers["X-Accel-Buffering"] == "no"
        assert headers["Cache-Control"] == "no-store"
        opening = stream.next()
        assert opening.retry is not None and 1000 <= int(opening.retry) <= 4000
        started = time.monotonic()
        pings = [stream.next() for _ in range(4)]
        assert {m.event for m in pings} == {"ping"}
        assert all(m.id == "0" for m in pings)
        # heartbeats at MYBLOG_LIVE_HEARTBEAT_SECONDS (0.3 s), the first one at once
        assert 0.6 <= time.monotonic() - started < 3


def test_an_idle_stream_holds_no_database_connection(live_app):
    post_id = new_post(live_app)
    with served(live_app) as base, EventStream(f"{base}/live/posts/{post_id}/events") as stream:
        stream.until(lambda m: m.event == "ping")
        stream.until(lambda m: m.event == "ping")
        with live_app.app_context():
            pool = db.engine.pool
        # the hub reads now and then, for a moment; a waiting stream never holds one
        wait_for(lambda: pool.checkedout() == 0, 5, "no connection checked out")


def test_a_position_older_than_the_log_gets_a_reload(live_app):
    post_id = new_post(live_app)
    for _ in range(3):
        comment(live_app, post_id)
    first, _, third = event_ids(live_app)
    with live_app.app_context():
        old = utcnow() - timedelta(days=3)
        db.session.execute(update(LiveEvent).where(LiveEvent.id < third).values(created_at=old))
        db.session.commit()
        assert events.prune() == 2
    with served(live_app) as base:
        url = f"{base}/live/posts/{post_id}/events"
        with EventStream(url, {"Last-Event-ID": str(first - 1)}) as stream:
            [reload] = stream.events(1)
            assert (reload.event, reload.id) == ("reload", str(third))


def test_streams_carry_only_what_their_listener_may_see(live_app, client):
    mine, other = new_post(live_app, slug="mine"), new_post(live_app, slug="other")
    draft = new_post(live_app, slug="draft", status=PostStatus.DRAFT)
    pending = comment(live_app, mine, policy=CommentPolicy.MODERATED)
    comment(live_app, other)
    shown = comment(live_app, mine)
    assert client.get(f"/live/posts/{draft}/events").status_code == 404
    assert client.get(f"/live/posts/{draft}/poll").status_code == 404
    assert client.get("/live/notifications/events").status_code == 401
    answer = client.get(f"/live/posts/{mine}/poll?after=0").get_json()
    assert [e["data"]["comment_id"] for e in answer["events"]] == [shown]
    assert pending not in [e["data"]["comment_id"] for e in answer["events"]]
    assert "@" not in json.dumps(answer)
    home = client.get("/live/home/poll?after=0").get_json()
    assert home["events"] == [] and home["last_id"] == max(event_ids(live_app))


def test_a_writer_stream_reaches_only_those_allowed(live_app):
    factory = Factory(live_app)
    author = factory.user("writer")
    factory.user("bystander")
    post_id = new_post(live_app, author="writer")
    comment(live_app, post_id, policy=CommentPolicy.MODERATED)
    with live_app.app_context():
        events.record_subscriber("reader@example.org")
        db.session.commit()
    answers = {}
    for name, password in (("writer", "plum-kettle-42"), ("bystander", "plum-kettle-42")):
        client = live_app.test_client()
        login(client, name, password)
        answers[name] = client.get("/live/notifications/poll?after=0").get_json()
    owner = live_app.test_client()
    login(owner)
    answers["owner"] = owner.get("/live/notifications/poll?after=0").get_json()
    kinds = {name: [e["data"]["kind"] for e in a["events"]] for name, a in answers.items()}
    assert kinds == {
        "writer": ["pending_comment"],
        "bystander": [],
        "owner": ["pending_comment", "subscriber"],
    }
    assert author.role is Role.AUTHOR


def test_a_position_that_is_not_an_id_is_a_400(live_app, client):
    post_id = new_post(live_app)
    for bad in ("abc", "-1", "1" * 30, "²"):
        answer = client.get(f"/live/posts/{post_id}/events", headers={"Last-Event-ID": bad})
        assert answer.status_code == 400, bad
    assert client.get(f"/live/posts/{post_id}/poll?after=x").status_code == 400


# -- long polling --------------------------------------------------------------------------------


def test_a_long_poll_waits_its_time_when_nothing_happens(live_app, client):
    post_id = new_post(live_app)
    started = time.monotonic()
    answer = client.get(f"/live/posts/{post_id}/poll?after=0")
    waited = time.monotonic() - started
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert answer.get_json() == {"events": [], "last_id": 0, "reload": False}
    assert 0.9 <= waited < 5  # MYBLOG_LIVE_POLL_WAIT_SECONDS is 1 s here


def test_a_long_poll_answers_as_soon_as_an_event_comes(make_app):
    app = make_app(**{**LIVE_SETTINGS, "MYBLOG_LIVE_POLL_WAIT_SECONDS": 20})
    post_id = new_post(app)
    timer = threading.Timer(0.5, lambda: comment(app, post_id, body="Worth the wait"))
    started = time.monotonic()
    timer.start()
    try:
        answer = app.test_client().get(f"/live/posts/{post_id}/poll?after=0").get_json()
    finally:
        timer.join()
    assert time.monotonic() - started < 10
    [event] = answer["events"]
    assert event["type"] == "comment" and "Worth the wait" in event["data"]["html"]
    assert answer["last_id"] == event["id"] == event_ids(app)[-1]


def test_long_polling_and_the_stream_give_the_same_ids(live_app, client):
    post_id = new_post(live_app)
    for n in range(4):
        comment(live_app, post_id, body=f"Comment {n}")
    ids = event_ids(live_app)
    polled = client.get(f"/live/posts/{post_id}/poll?after={ids[0]}").get_json()
    with served(live_app) as base:
        url = f"{base}/live/posts/{post_id}/events?after={ids[0]}"
        with EventStream(url) as stream:
            streamed = stream.events(3)
    assert [e["id"] for e in polled["events"]] == [int(m.id) for m in streamed] == ids[1:]
    assert [e["data"] for e in polled["events"]] == [m.json() for m in streamed]


def test_moderation_reaches_an_open_long_poll(live_app):
    post_id = new_post(live_app)
    waiting = comment(live_app, post_id, policy=CommentPolicy.MODERATED)
    position = max(event_ids(live_app))

    def approve() -> None:
        with live_app.app_context():
            owner = db.session.scalars(select(User).where(User.role == Role.OWNER)).one()
            moderate(owner, "approve", [waiting])

    timer = threading.Timer(0.3, approve)
    timer.start()
    try:
        url = f"/live/posts/{post_id}/poll?after={position}"
        answer = live_app.test_client().get(url).get_json()
        if not answer["events"]:  # the approval came after this poll's second: ask again
            answer = live_app.test_client().get(url).get_json()
    finally:
        timer.join()
    assert [e["data"]["comment_id"] for e in answer["events"]] == [waiting]
