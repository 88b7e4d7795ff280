"""Two nodes of one blog, as deployed: two gunicorn processes (the shipped gunicorn.conf.py,
gevent workers, myblog.wsgi:app, production config) on two loopback ports, sharing one fresh
PostgreSQL database and one Redis (a redis-server of this module's own, so no other test's keys
or wake-ups mix in), plus one `flask rq-worker` delivering mail to an SMTP sink.

A comment approved through node A reaches a stream opened on node B; a post published through
A is on B's home page within 1 s; a sign-in limit counted on A applies on B; mail queued by A
goes out through the RQ worker. Node A never serves a stream here, so the one subscriber on
the live channel is node B's hub.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from live_support import EventStream, wait_for
from mail_processes import blog_env
from nodes_support import Browser, NodeProcess, gunicorn_node, rq_worker, wait_until_up
from pg_support import create_database, database_url, drop_database, new_name
from redis_support import RedisServer
from sqlalchemy import select
from support import OWNER_PASSWORD, need_service
from test_smtp_delivery import Collector, SMTPServer, free_port

from myblog import create_app
from myblog.extensions import db
from myblog.live.bus import CHANNEL
from myblog.models import CommentPolicy, OutboxEmail, OutboxStatus, Post, PostStatus, User
from myblog.models.types import utcnow
from myblog.services.accounts import setup_blog
from myblog.services.comments import CommentInput, Submission, submit_comment

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

OWNER_EMAIL = "owner@example.com"
ACCOUNT_LIMIT = 3  # failed sign-ins per name and minute, counted across the nodes
GUEST = Submission(ip="198.51.100.7", started_at=utcnow() - timedelta(minutes=5))


@dataclass
class Cluster:
    a: str  # node A's base URL
    b: str  # node B's base URL
    app: Flask  # this process's view of the shared database (testing config)
    redis: RedisServer
    mail: Collector
    processes: list[NodeProcess]

    def logs(self) -> str:
        return "\n".join(f"--- {p.log.name}\n{p.text()[-2000:]}" for p in self.processes)


def _migrated_blog(url: str) -> Flask:
    from flask_migrate import upgrade

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        setup_blog(title="Nodes", username="owner", email=OWNER_EMAIL, password=OWNER_PASSWORD)
    return app


def _redis_server() -> RedisServer:
    executable = shutil.which("redis-server")
    need_service("Redis", executable is not None, "no redis-server program on PATH")
    assert executable is not None
    server = RedisServer(executable)
    server.start()
    return server


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    folder: Path = tmp_path_factory.mktemp("nodes")
    name = new_name("nodes")
    create_database(name)  # skips, or fails under MYBLOG_REQUIRE_SERVICES=1, without PostgreSQL
    processes: list[NodeProcess] = []
    redis = smtp = app = None
    try:
        redis = _redis_server()
        app = _migrated_blog(database_url(name))
        smtp = SMTPServer(free_port())
        mail = smtp.start(Collector())
        a, b = free_port(), free_port()
        env = blog_env(
            database_url(name),
            smtp.port,
            folder,
            REDIS_URL=redis.url,
            MYBLOG_MAIL_SENDER="rq",
            MYBLOG_BASE_URL=f"http://127.0.0.1:{a}",
            MYBLOG_LOGIN_LIMIT="1000 per minute",
            MYBLOG_LOGIN_ACCOUNT_LIMIT=f"{ACCOUNT_LIMIT} per minute",
            MYBLOG_LIVE_HEARTBEAT_SECONDS="1",
        )
        env.pop("WEB_CONCURRENCY", None)  # one worker per node: one hub, one subscriber
        for label, port in (("a", a), ("b", b)):
            processes.append(gunicorn_node(port, env, folder / f"node-{label}.log"))
        processes.append(rq_worker(env, folder / "rq-worker.log"))
        for node, port in zip(processes, (a, b), strict=False):
            wait_until_up(node, f"http://127.0.0.1:{port}")
        yield Cluster(f"http://127.0.0.1:{a}", f"http://127.0.0.1:{b}", app, redis, mail, processes)
    finally:
        for process in processes:
            process.stop()
        if smtp is not None:
            smtp.stop()
        if redis is not None:
            redis.stop()
            redis.client.close()
        if app is not None:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        drop_database(name)


@pytest.fixture(scope="module")
def owner(cluster: Cluster) -> Browser:
    """The owner, signed in through node A."""
    browser = Browser()
    login = f"{cluster.a}/auth/login"
    reply = browser.submit(login, {"login": "owner", "password": OWNER_PASSWORD}, token_from=login)
    assert reply.status == 302, reply.text[-2000:]
    return browser


def pending_comment(app: Flask, body: str) -> tuple[int, int]:
    """A published post with one guest comment waiting for a moderator: their ids."""
    with app.app_context():
        writer = db.session.scalars(select(User).where(User.username == "owner")).one()
        slug = f"live-{uuid.uuid4().hex[:8]}"
        post = Post(
            title=f"Post {slug}",
            slug=slug,
            body="b",
            body_html="<p>b</p>",
            status=PostStatus.PUBLISHED,
            published_at=utcnow() - timedelta(hours=1),
            author_id=writer.id,
        )
        db.session.add(post)
        db.session.commit()
        data = CommentInput(body=body, name="Guest", email="guest-secret@example.net")
        comment = submit_comment(
            post, data, user=None, submission=GUEST, policy=CommentPolicy.MODERATED
        )
        return post.id, comment.id


def test_a_comment_approved_on_node_a_reaches_a_stream_on_node_b(cluster, owner):
    post_id, comment_id = pending_comment(cluster.app, "Seen on the other node")
    with EventStream(f"{cluster.b}/live/posts/{post_id}/events", timeout=15) as stream:
        assert stream.response.status == 200
        stream.next()  # the stream runs: node B's hub has started and subscribes to Redis
        wait_for(
            lambda: dict(cluster.redis.client.pubsub_numsub(CHANNEL)).get(CHANNEL.encode()),
            10,
            "node B's hub to listen on the live channel",
        )
        moderate = f"{cluster.a}/admin/comments/moderate"
        form = {"action": "approve", "status": "pending", "ids": [str(comment_id)]}
        sent = time.monotonic()
        reply = owner.submit(moderate, form, token_from=f"{cluster.a}/admin/comments")
        assert reply.status == 302, reply.text[-2000:]
        [arrived] = stream.events(1)
        took = time.monotonic() - sent
    assert arrived.event == "comment"
    assert arrived.json()["comment_id"] == comment_id
    assert "Seen on the other node" in arrived.json()["html"]
    assert "guest-secret@example.net" not in arrived.data
    # through the Redis bus: without it node B would only find the event at its next safety
    # poll of the database, 30 s away
    assert took < 5, f"{took:.2f} s\n{cluster.logs()}"
    print(f"\n[two nodes] comment approved on A reached B's stream in {took:.3f} s")


def test_a_post_published_on_node_a_is_on_node_b_home_page_within_a_second(cluster, owner):
    title = f"Fresh from node A {uuid.uuid4().hex[:8]}"
    for _ in range(2):  # rendered (and cached, where a page cache runs) before the publish
        before = Browser().get(f"{cluster.b}/")
        assert before.status == 200 and title not in before.text
    editor = f"{cluster.a}/admin/posts/new"
    form = {
        "title": title,
        "slug": "",
        "body": "Some *Markdown*.",
        "category_id": "0",
        "tags": "",
        "status": "published",
        "published_at": "",
        "allow_comments": "y",
    }
    reply = owner.submit(editor, form, token_from=editor)
    assert reply.status == 302, reply.text[-2000:]
    published = time.monotonic()

    def on_b() -> bool:
        return title in Browser().get(f"{cluster.b}/").text  # an anonymous reader each time

    wait_for(on_b, 10, "the post on node B's home page")
    took = time.monotonic() - published
    assert took < 1.0, f"visible on node B after {took:.2f} s"
    print(f"\n[two nodes] post published on A visible on B after {took:.3f} s")


def test_a_sign_in_limit_counted_on_node_a_applies_on_node_b(cluster):
    name = f"nobody-{uuid.uuid4().hex[:8]}"
    visitor = Browser()
    attempt = {"login": name, "password": "not the password"}
    for _ in range(ACCOUNT_LIMIT):
        login = f"{cluster.a}/auth/login"
        assert visitor.submit(login, attempt, token_from=login).status == 401
    login = f"{cluster.b}/auth/login"
    limited = visitor.submit(login, attempt, token_from=login)
    assert limited.status == 429
    assert "Too many failed sign-ins with this username or email" in limited.text
    # the count is the name's: another name still gets an answer on node B
    other = visitor.submit(login, {**attempt, "login": f"{name}-2"}, token_from=login)
    assert other.status == 401


def test_mail_queued_by_node_a_is_delivered_by_the_rq_worker(cluster):
    reset = f"{cluster.a}/auth/reset"
    reply = Browser().submit(reset, {"email": OWNER_EMAIL}, token_from=reset)
    assert reply.status == 302, reply.text[-2000:]

    def resets() -> list[str]:
        bodies = [m.get_body(("plain",)).get_content() for m in cluster.mail.messages]
        return [body for body in bodies if f"{cluster.a}/auth/reset/" in body]

    try:
        wait_for(resets, 30, "the reset mail at the SMTP server")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{cluster.logs()}") from None
    assert all(OWNER_EMAIL in str(m["To"]) for m in cluster.mail.messages)

    def statuses() -> set[OutboxStatus]:
        with cluster.app.app_context():
            query = select(OutboxEmail.status).where(OutboxEmail.to == OWNER_EMAIL)
            return set(db.session.scalars(query))

    # the worker records the delivery just after the server has the message
    wait_for(lambda: statuses() == {OutboxStatus.SENT}, 10, "the mail marked sent")
