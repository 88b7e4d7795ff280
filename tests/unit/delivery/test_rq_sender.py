"""MYBLOG_MAIL_SENDER: thread, rq or off, chosen from the environment; rq mode's app wiring.

Nothing here needs a Redis server: building the rq mode app does not connect, and a Redis that
refuses connections is exactly the outage case.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from myblog import create_app
from myblog.config import DevelopmentConfig, ProductionConfig, TestingConfig
from myblog.delivery.rq_sender import (
    EXTENSION_KEY,
    MailQueue,
    _wake_after_commit,
    get_mail_queue,
    notify_worker,
)
from myblog.delivery.thread_sender import EXTENSION_KEY as THREAD_SENDER_KEY
from myblog.extensions import db
from myblog.models import OutboxEmail, OutboxStatus
from myblog.services.outbox import enqueue

GOOD_KEY = "0123456789abcdef" * 4
# nothing listens on port 1: connecting is refused at once
DOWN_REDIS_URL = "redis://127.0.0.1:1/0"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("REDIS_URL", "MYBLOG_MAIL_SENDER", "MYBLOG_MAIL_QUEUE", "MYBLOG_MAIL_INTERVAL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)


@pytest.fixture
def rq_app(make_app):
    return make_app(MYBLOG_MAIL_SENDER="rq", REDIS_URL=DOWN_REDIS_URL, MYBLOG_MAIL_QUEUE="mail-x")


def test_without_redis_the_default_sender_is_the_thread(tmp_path):
    assert DevelopmentConfig.load(tmp_path)["MYBLOG_MAIL_SENDER"] == "thread"
    assert ProductionConfig.load(tmp_path)["MYBLOG_MAIL_SENDER"] == "thread"
    assert TestingConfig.load(tmp_path)["MYBLOG_MAIL_SENDER"] == "off"


def test_with_redis_url_the_default_sender_is_rq_except_in_testing(tmp_path, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://redis.internal:6379/0")
    assert DevelopmentConfig.load(tmp_path)["MYBLOG_MAIL_SENDER"] == "rq"
    assert ProductionConfig.load(tmp_path)["MYBLOG_MAIL_SENDER"] == "rq"
    assert TestingConfig.load(tmp_path)["MYBLOG_MAIL_SENDER"] == "off"


@pytest.mark.parametrize(("value", "expected"), [("thread", "thread"), (" RQ ", "rq"), ("", "rq")])
def test_an_explicit_sender_wins_over_the_redis_default(tmp_path, monkeypatch, value, expected):
    monkeypatch.setenv("REDIS_URL", "redis://redis.internal:6379/0")
    monkeypatch.setenv("MYBLOG_MAIL_SENDER", value)
    assert ProductionConfig.load(tmp_path)["MYBLOG_MAIL_SENDER"] == expected


def test_an_unknown_sender_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("MYBLOG_MAIL_SENDER", "celery")
    with pytest.raises(
        RuntimeError, match=r"MYBLOG_MAIL_SENDER='celery' is not one of thread, rq, off"
    ):
        DevelopmentConfig.load(tmp_path)


def test_an_unknown_sender_given_to_the_factory_is_refused_too(make_app):
    with pytest.raises(RuntimeError, match="MYBLOG_MAIL_SENDER='threads' is not one of"):
        make_app(MYBLOG_MAIL_SENDER="threads")


def test_rq_without_redis_is_a_clear_error(tmp_path, monkeypatch, make_app):
    monkeypatch.setenv("MYBLOG_MAIL_SENDER", "rq")
    with pytest.raises(RuntimeError, match="MYBLOG_MAIL_SENDER=rq needs REDIS_URL"):
        ProductionConfig.load(tmp_path)
    with pytest.raises(RuntimeError, match="needs REDIS_URL"):
        make_app(MYBLOG_MAIL_SENDER="rq", REDIS_URL=None)


def test_the_queue_name_comes_from_the_environment(tmp_path, monkeypatch):
    assert DevelopmentConfig.load(tmp_path)["MYBLOG_MAIL_QUEUE"] == "mail"
    monkeypatch.setenv("MYBLOG_MAIL_QUEUE", "blog2-mail")
    assert DevelopmentConfig.load(tmp_path)["MYBLOG_MAIL_QUEUE"] == "blog2-mail"


def test_production_with_redis_builds_an_rq_app_with_its_queue(tmp_path, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://redis.internal:6379/3")
    monkeypatch.setenv("MYBLOG_MAIL_INTERVAL", "7")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite'}")
    app = create_app("production", {"MYBLOG_UPLOAD_DIR": str(tmp_path / "uploads")}, cli=False)
    mail_queue = app.extensions[EXTENSION_KEY]
    assert isinstance(mail_queue, MailQueue)
    assert (mail_queue.name, mail_queue.interval) == ("mail", 7)
    assert mail_queue.redis.connection_pool.connection_kwargs["db"] == 3
    with app.app_context():
        db.engine.dispose()


def test_rq_mode_starts_no_sender_thread_and_hooks_the_session(rq_app):
    client = rq_app.test_client()
    assert client.get("/").status_code == 200
    assert THREAD_SENDER_KEY not in rq_app.extensions
    assert get_mail_queue(rq_app).name == "mail-x"
    assert event.contains(db.session, "after_commit", _wake_after_commit)


def test_thread_and_off_modes_have_no_mail_queue(make_app):
    assert EXTENSION_KEY not in make_app().extensions
    thread_app = make_app(MYBLOG_MAIL_SENDER="thread")
    assert EXTENSION_KEY not in thread_app.extensions


def test_with_redis_down_the_commit_succeeds_and_mail_worker_still_delivers(rq_app, caplog):
    with rq_app.app_context():
        enqueue(to="reader@example.com", subject="Hello", text_body="Text")
        db.session.commit()  # waking the worker fails, the commit does not
        assert db.session.scalars(select(OutboxEmail.status)).all() == [OutboxStatus.PENDING]
        assert notify_worker() is False
    assert "could not wake the mail worker (ConnectionError" in caplog.text
    assert "the next periodic pass delivers the mail" in caplog.text

    result = rq_app.test_cli_runner().invoke(args=["mail-worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "Sent 1, 0 to retry, 0 failed." in result.output
    with rq_app.app_context():
        assert db.session.scalars(select(OutboxEmail.status)).all() == [OutboxStatus.SENT]


def test_rq_worker_help_explains_the_command(app):
    result = app.test_cli_runner().invoke(args=["rq-worker", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "rq-worker [OPTIONS]" in text
    assert (
        "Deliver mail as an RQ worker on the REDIS_URL queue (for MYBLOG_MAIL_SENDER=rq)." in text
    )
    assert "every MYBLOG_MAIL_INTERVAL seconds one of the workers runs a pass" in text
    assert "--burst Run one pass and the jobs queued now, then exit." in text


def test_rq_worker_without_redis_says_so(app):
    result = app.test_cli_runner().invoke(args=["rq-worker"])
    assert result.exit_code == 1
    assert "REDIS_URL is not set; without Redis, use `flask mail-worker`." in result.output


def test_rq_worker_with_redis_down_fails_cleanly(rq_app):
    result = rq_app.test_cli_runner().invoke(args=["rq-worker", "--burst"])
    assert result.exit_code == 1
    assert "Redis is unreachable" in result.output
