"""The Redis bus between nodes, with a redis-server of the test's own: a commit on one node wakes
the streams of another; while Redis is down or hung, commits do not wait on it, the streams
poll the database (said once in the log), and wake-ups come back with Redis by themselves."""

from __future__ import annotations

import logging
import time

import pytest
from flask import Flask
from live_support import LIVE_SETTINGS, wait_for
from redis_support import HungRedis

from myblog.extensions import db
from myblog.live.bus import RedisBus, get_bus
from myblog.live.hub import Hub, close_hub, get_hub, wait_until_ready
from myblog.models import EventKind, Post
from myblog.services import events

pytestmark = [pytest.mark.redis, pytest.mark.faults]


def two_nodes(make_app, url: str) -> tuple[Flask, Flask]:
    """Two apps on one database, each with its own bus: two nodes of one blog."""
    writer = make_app(REDIS_URL=url, **LIVE_SETTINGS)
    reader = make_app(
        REDIS_URL=url,
        SQLALCHEMY_DATABASE_URI=writer.config["SQLALCHEMY_DATABASE_URI"],
        schema=False,
        **LIVE_SETTINGS,
    )
    return writer, reader


def commit_event(app: Flask) -> tuple[int, float]:
    """Record and commit one event on `app`; its id and how long the commit took."""
    with app.app_context():
        post = db.session.get(Post, 1)
        if post is None:
            post = Post(title="t", slug="t", body="", body_html="", author_id=1)
            db.session.add(post)
            db.session.commit()
        event = events.record(EventKind.POST, post_id=post.id, data={"title": "t", "slug": "t"})
        started = time.monotonic()
        db.session.commit()
        return event.id, time.monotonic() - started


def follower(app: Flask) -> Hub:
    hub = get_hub(app)
    assert wait_until_ready(hub, 5)
    return hub


def test_a_commit_on_one_node_wakes_the_streams_of_another(make_app, redis_server):
    writer, reader = two_nodes(make_app, redis_server.url)
    assert isinstance(get_bus(reader), RedisBus)
    hub = follower(reader)
    try:
        wait_for(lambda: get_bus(reader).connected, 5, "the reader's bus to subscribe")
        newest, _ = commit_event(writer)
        started = time.monotonic()
        wait_for(lambda: hub.latest == newest, 5, "the wake-up")
        # with Redis up the hub polls every 30 s: only the wake-up explains this
        assert time.monotonic() - started < 1
    finally:
        close_hub(reader)


def test_redis_down_streams_poll_and_wake_ups_come_back(make_app, redis_server, caplog):
    caplog.set_level(logging.WARNING, logger="myblog.live")
    writer, reader = two_nodes(make_app, redis_server.url)
    hub = follower(reader)
    try:
        wait_for(lambda: get_bus(reader).connected, 5, "the reader's bus to subscribe")
        redis_server.stop()
        for _ in range(3):
            newest, took = commit_event(writer)
            assert took < 1  # a commit never waits on a Redis that is away
            wait_for(lambda n=newest: hub.latest == n, 5, "the poll of the database")
        wait_for(lambda: not get_bus(reader).connected, 5, "the reader to notice")
        time.sleep(1.5)  # the subscriber fails again meanwhile: still one line
        down = [r for r in caplog.records if "unreachable" in r.getMessage()]
        assert len(down) == 2, [r.getMessage() for r in down]  # once per node's bus

        redis_server.start()
        wait_for(lambda: get_bus(reader).connected, 10, "the reader's bus to subscribe again")
        assert any("answers again" in r.getMessage() for r in caplog.records)
        time.sleep(5.2)  # the writer's pause after its failed publish
        newest, _ = commit_event(writer)
        started = time.monotonic()
        wait_for(lambda: hub.latest == newest, 5, "the wake-up")
        assert time.monotonic() - started < 1
    finally:
        close_hub(reader)


def test_a_hung_redis_holds_no_commit_and_the_streams_poll(make_app):
    hung = HungRedis()
    try:
        writer, reader = two_nodes(make_app, hung.url)
        hub = follower(reader)
        try:
            newest, took = commit_event(writer)
            assert took < 1.5  # MYBLOG_REDIS_TIMEOUT (0.25 s) bounds the publish
            wait_for(lambda: hub.latest == newest, 5, "the poll of the database")
            assert not get_bus(reader).connected
        finally:
            close_hub(reader)
    finally:
        hung.close()
