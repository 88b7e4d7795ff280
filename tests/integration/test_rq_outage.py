"""`flask rq-worker` through Redis outages, against a redis-server of this test's own (never the
shared one), stopped and started again on the same port: the worker starts while Redis is down,
delivers from the database meanwhile, goes back to the queue when Redis answers, survives a
second outage, and stops cleanly on SIGTERM."""

from __future__ import annotations

import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from mail_processes import BlogProcess, CountingSink, blog_env, wait_until
from support import need_service
from test_smtp_delivery import SMTPServer, free_port

from myblog.extensions import db
from myblog.services.outbox import enqueue

pytestmark = [pytest.mark.redis, pytest.mark.faults]


class OwnRedis:
    """A redis-server on a port of its own, without persistence: stopping it loses its data."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            [*command, "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_until(self.answers, 10)

    def answers(self) -> bool:
        import redis

        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def workers(self) -> int:
        """How many rq workers are registered in it."""
        import redis
        from rq import Worker

        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        try:
            return len(Worker.all(connection=client))
        except redis.RedisError:
            return 0
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def own_redis(tmp_path) -> Iterator[OwnRedis]:
    need_service("redis-server", shutil.which("redis-server") is not None, "not installed")
    server = OwnRedis(tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    server = SMTPServer(free_port())
    yield server
    server.stop()


def commit_mail(app: Flask, n: int) -> set[str]:
    """Queue `n` messages from the web side; the commit tries to wake a worker through Redis."""
    with app.app_context():
        emails = [
            enqueue(to=f"reader{i}@example.com", subject="Hello", text_body="Hi") for i in range(n)
        ]
        db.session.commit()
        return {email.message_id for email in emails}


def test_the_rq_worker_waits_out_redis_outages_and_mail_keeps_going(
    make_app, own_redis, smtp, tmp_path
):
    sink = smtp.start(CountingSink())
    web = make_app(
        MYBLOG_MAIL_SENDER="rq",
        REDIS_URL=own_redis.url,
        MAIL_DEFAULT_SENDER="blog@example.com",
    )
    env = blog_env(
        web.config["SQLALCHEMY_DATABASE_URI"],
        smtp.port,
        tmp_path,
        REDIS_URL=own_redis.url,
        MYBLOG_MAIL_SENDER="rq",
    )
    worker = BlogProcess.flask("rq-worker", env, tmp_path / "worker.log")

    def jobs_done() -> int:
        return worker.text().count("Job OK")

    try:
        # 1. Redis is down when the worker starts: it stays, and delivers from the database
        expected = commit_mail(web, 2)
        assert wait_until(lambda: set(sink.ids) == expected, 15), worker.text()
        assert worker.alive(), worker.text()

        # 2. Redis comes up: the worker registers and runs the jobs queued there again
        own_redis.start()
        assert wait_until(lambda: own_redis.workers() == 1, 30), worker.text()
        expected |= commit_mail(web, 2)
        assert wait_until(lambda: set(sink.ids) == expected, 15), worker.text()
        assert wait_until(lambda: jobs_done() > 0, 15), worker.text()

        # 3. Redis goes away under the running worker: mail committed meanwhile still goes out,
        # and the worker leaves rq's loop to wait for Redis
        own_redis.stop()
        expected |= commit_mail(web, 2)
        assert wait_until(lambda: set(sink.ids) == expected, 15), worker.text()
        unreachable = lambda: worker.text().count("Redis is unreachable") == 2  # noqa: E731
        assert wait_until(unreachable, 30), worker.text()
        assert worker.alive(), worker.text()

        # 4. and back again (empty: no persistence): the worker registers and runs jobs again
        own_redis.start()
        assert wait_until(lambda: own_redis.workers() == 1, 45), worker.text()
        done = jobs_done()
        expected |= commit_mail(web, 2)
        assert wait_until(lambda: set(sink.ids) == expected, 15), worker.text()
        assert wait_until(lambda: jobs_done() > done, 15), worker.text()

        worker.signal(signal.SIGTERM)
        assert worker.wait(20) == 0, worker.text()
    finally:
        worker.stop()
    log = worker.text()
    assert sink.duplicates() == 0
    assert log.count("Redis is unreachable") == 2, log  # once per outage
    assert log.count("Redis is back") == 2, log
    assert log.count("could not connect to Redis") <= 6, log  # rq's own, not every second


def test_sigterm_stops_a_worker_waiting_for_redis(make_app, own_redis, smtp, tmp_path):
    app = make_app(setup=False)
    env = blog_env(
        app.config["SQLALCHEMY_DATABASE_URI"],
        smtp.port,
        tmp_path,
        REDIS_URL=own_redis.url,
        MYBLOG_MAIL_SENDER="rq",
    )
    worker = BlogProcess.flask("rq-worker", env, tmp_path / "worker.log")
    try:
        assert wait_until(lambda: "Redis is unreachable" in worker.text(), 30), worker.text()
        worker.signal(signal.SIGTERM)
        assert worker.wait(10) == 0, worker.text()
    finally:
        worker.stop()
