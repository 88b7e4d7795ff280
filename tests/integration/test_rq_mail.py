"""MYBLOG_MAIL_SENDER=rq against a real Redis and an SMTP sink (aiosmtpd).

A commit that adds outbox rows queues one RQ job; a worker run in this process (burst mode)
delivers the mail exactly once; with Redis down the commit still succeeds and a later pass
delivers. Each test has its own queue name, so parallel test processes never share keys.
"""

from __future__ import annotations

import signal
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, current_app
from sqlalchemy import insert, select
from support import REDIS_URL
from test_smtp_delivery import Collector, SMTPServer, free_port

from myblog.delivery import passes
from myblog.delivery.rq_sender import deliver_mail, get_mail_queue
from myblog.delivery.rq_worker import Ticker, make_worker
from myblog.delivery.thread_sender import EXTENSION_KEY as THREAD_SENDER_KEY
from myblog.extensions import db
from myblog.models import OutboxEmail, OutboxStatus
from myblog.models.types import utcnow
from myblog.services.outbox import enqueue

pytestmark = pytest.mark.redis

# nothing listens on port 1: connecting is refused at once
DOWN_REDIS_URL = "redis://127.0.0.1:1/0"


@pytest.fixture
def queue_name(redis_client) -> Iterator[str]:
    """A queue of this test's own; every Redis key naming it is deleted afterwards."""
    name = f"mail-test-{uuid.uuid4().hex}"
    yield name
    job_keys = [
        f"rq:job:{job_id.decode()}" for job_id in redis_client.lrange(f"rq:queue:{name}", 0, -1)
    ]
    for key in [*job_keys, *redis_client.scan_iter(f"*{name}*")]:
        redis_client.delete(key)
    redis_client.srem("rq:queues", f"rq:queue:{name}")  # rq's index of queues


@pytest.fixture(autouse=True)
def keep_signal_handlers() -> Iterator[None]:
    """A worker installs its own SIGINT/SIGTERM handlers; put pytest's back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    server = SMTPServer(free_port())
    yield server
    server.stop()


@pytest.fixture
def make_rq_app(make_app, smtp: SMTPServer, queue_name: str):
    def build(**overrides: Any) -> Flask:
        settings = {
            "MYBLOG_MAIL_SENDER": "rq",
            "REDIS_URL": REDIS_URL,
            "MYBLOG_MAIL_QUEUE": queue_name,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp.port,
            "MAIL_SUPPRESS_SEND": False,
            "MAIL_DEFAULT_SENDER": "blog@example.com",
            **overrides,
        }
        return make_app(setup=False, **settings)

    return build


@pytest.fixture
def rq_app(make_rq_app) -> Flask:
    return make_rq_app()


def commit_mail(n: int, *, start: int = 0) -> list[str]:
    """Add `n` messages, due now, in one transaction; return their Message-IDs."""
    emails = [
        enqueue(to=f"reader{i}@example.com", subject=f"Hello {i}", text_body=f"Text {i}")
        for i in range(start, start + n)
    ]
    db.session.commit()
    return [email.message_id for email in emails]


def statuses() -> Counter[OutboxStatus]:
    return Counter(db.session.scalars(select(OutboxEmail.status)))


def work_burst(app: Flask, name: str) -> bool:
    """Run the queued jobs with a worker in this process, then return (rq's burst mode)."""
    return make_worker(app, name=name).work(burst=True)


def test_a_burst_of_commits_queues_one_job_and_the_worker_delivers_each_message_once(
    rq_app, smtp, queue_name
):
    collector = smtp.start(Collector())
    queue = get_mail_queue(rq_app).queue
    with rq_app.app_context():
        message_ids = commit_mail(20)
        assert queue.count == 1
        for i in range(5):  # more commits while that job waits: still one job
            message_ids += commit_mail(1, start=20 + i)
        assert queue.count == 1

    assert work_burst(rq_app, f"{queue_name}-worker") is True
    assert queue.count == 0
    assert collector.message_ids() == Counter(message_ids)  # every message, once each
    with rq_app.app_context():
        assert statuses() == Counter({OutboxStatus.SENT: 25})

    # nothing left to do: another worker finds no job and sends nothing again
    assert work_burst(rq_app, f"{queue_name}-worker-2") is False
    assert len(collector.messages) == 25


def test_a_commit_during_a_pass_queues_the_next_pass(rq_app, smtp, queue_name, monkeypatch):
    collector = smtp.start(Collector())
    queue = get_mail_queue(rq_app).queue
    real_pass = passes.periodic_pass
    late: list[str] = []

    def pass_with_a_commit_racing_it() -> Any:
        report = real_pass()
        if not late:  # a visitor's commit lands after this pass has claimed its rows
            late.extend(commit_mail(1, start=100))
        return report

    monkeypatch.setattr(passes, "periodic_pass", pass_with_a_commit_racing_it)
    with rq_app.app_context():
        first = commit_mail(1)
    assert work_burst(rq_app, f"{queue_name}-worker") is True
    assert queue.count == 0
    assert collector.message_ids() == Counter(first + late)


def test_only_commits_that_add_outbox_rows_queue_a_job(rq_app, queue_name):
    from myblog.services.accounts import create_user

    queue = get_mail_queue(rq_app).queue
    with rq_app.app_context():
        create_user(username="ann", email="ann@example.com", password="plum-kettle-42")
        db.session.commit()
        assert queue.count == 0

        enqueue(to="x@example.com", subject="Never sent", text_body="Rolled back")
        db.session.flush()
        db.session.rollback()
        db.session.commit()  # the rolled-back rows leave nothing to announce
        assert queue.count == 0


def test_a_bulk_insert_into_the_outbox_queues_a_job(rq_app, queue_name):
    queue = get_mail_queue(rq_app).queue
    now = utcnow()
    rows = [
        {
            "to": f"bulk{i}@example.com",
            "subject": "Bulk",
            "text_body": "Text",
            "headers": "{}",
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "message_id": f"<bulk{i}.{queue_name}@example.com>",
        }
        for i in range(3)
    ]
    with rq_app.app_context():
        db.session.execute(insert(OutboxEmail), rows)
        assert queue.count == 0  # not before the commit
        db.session.commit()
        assert queue.count == 1


def test_a_savepoint_waits_for_the_outer_commit(rq_app, queue_name):
    queue = get_mail_queue(rq_app).queue
    with rq_app.app_context():
        with db.session.begin_nested():
            enqueue(to="x@example.com", subject="Inside a savepoint", text_body="Text")
        assert queue.count == 0  # released, but the rows are not visible to a worker yet
        db.session.commit()
        assert queue.count == 1


def test_with_redis_down_the_commit_succeeds_and_a_later_pass_delivers(
    make_rq_app, smtp, queue_name, caplog
):
    collector = smtp.start(Collector())
    web = make_rq_app(REDIS_URL=DOWN_REDIS_URL)
    with web.app_context():
        message_ids = commit_mail(2)  # no exception reaches the caller
        assert statuses() == Counter({OutboxStatus.PENDING: 2})
    assert "could not wake the mail worker" in caplog.text

    # Redis is back: the worker's periodic tick finds the rows without any wake-up
    worker_app = make_rq_app(
        schema=False, SQLALCHEMY_DATABASE_URI=web.config["SQLALCHEMY_DATABASE_URI"]
    )
    assert get_mail_queue(worker_app).tick() is True
    assert work_burst(worker_app, f"{queue_name}-worker") is True
    assert collector.message_ids() == Counter(message_ids)
    with worker_app.app_context():
        assert statuses() == Counter({OutboxStatus.SENT: 2})


def test_one_tick_per_interval_however_many_workers_ask(rq_app, smtp, queue_name):
    collector = smtp.start(Collector())
    mail_queue = get_mail_queue(rq_app)
    mail_queue.interval = 10
    with rq_app.app_context():
        message_ids = commit_mail(1)
    # the wake-up of that commit is lost (say Redis restarted): the tick makes up for it
    mail_queue.queue.empty()
    mail_queue.clear_wakeup()

    assert mail_queue.tick() is True
    assert [mail_queue.tick() for _ in range(3)] == [False] * 3  # other workers, same interval
    assert mail_queue.queue.count == 1
    # the lease lasts a little less than the interval
    assert 8_000 < mail_queue.redis.pttl(mail_queue.tick_key) <= 9_000
    assert work_burst(rq_app, f"{queue_name}-worker") is True
    assert collector.message_ids() == Counter(message_ids)

    mail_queue.redis.delete(mail_queue.tick_key)  # the lease has run out: the next interval
    assert mail_queue.tick() is True
    assert mail_queue.queue.count == 1


def test_the_ticker_thread_queues_passes_until_stopped(rq_app, queue_name):
    mail_queue = get_mail_queue(rq_app)
    mail_queue.interval = 0.05
    ticker = Ticker(rq_app, mail_queue)
    ticker.start()
    try:
        deadline = time.monotonic() + 5
        while mail_queue.queue.count == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert mail_queue.queue.count == 1
    finally:
        ticker.stop()
    assert not ticker.thread.is_alive()


def test_jobs_share_the_workers_app_and_engine_with_a_fresh_session_each(
    rq_app, queue_name, monkeypatch
):
    import myblog

    seen: list[tuple[Flask, object, object]] = []
    real_pass = passes.periodic_pass

    def recording_pass() -> Any:
        seen.append((current_app._get_current_object(), db.engine, db.session()))
        return real_pass()

    monkeypatch.setattr(passes, "periodic_pass", recording_pass)

    def no_new_apps(*args: Any, **kwargs: Any) -> Flask:
        raise AssertionError("a job built an app")

    monkeypatch.setattr(myblog, "create_app", no_new_apps)
    mail_queue = get_mail_queue(rq_app)
    for _ in range(2):
        assert mail_queue.wake() is True
        mail_queue.clear_wakeup()
    assert mail_queue.queue.count == 2

    assert work_burst(rq_app, f"{queue_name}-worker") is True
    with rq_app.app_context():
        engine = db.engine
    assert [(app, job_engine) for app, job_engine, _ in seen] == [(rq_app, engine)] * 2
    assert seen[0][2] is not seen[1][2]  # each job in its own app context and session
    assert mail_queue.queue.failed_job_registry.count == 0


def test_deliver_mail_needs_the_workers_app_context():
    with pytest.raises(RuntimeError, match="flask rq-worker"):
        deliver_mail()


def test_flask_rq_worker_burst_delivers_and_starts_no_sender_thread(rq_app, smtp, queue_name):
    collector = smtp.start(Collector())
    with rq_app.app_context():
        message_ids = commit_mail(3)
    result = rq_app.test_cli_runner().invoke(args=["rq-worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert f"RQ queue {queue_name!r}" in result.output
    assert collector.message_ids() == Counter(message_ids)
    assert THREAD_SENDER_KEY not in rq_app.extensions
    assert get_mail_queue(rq_app).queue.count == 0
