"""The embedded sender thread, started by the first request, and the mail-worker command."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from outbox_support import queued, row
from sqlalchemy.pool import NullPool

from myblog import create_app
from myblog.delivery import smtp, thread_sender
from myblog.delivery.thread_sender import (
    EXTENSION_KEY,
    start_background_sender,
    stop_background_sender,
)
from myblog.extensions import db
from myblog.models import OutboxStatus
from myblog.services import outbox_admin, outbox_delivery
from myblog.services.outbox_delivery import BATCH_SIZE


def wait_until(condition: Callable[[], bool], seconds: float = 10) -> bool:
    """Poll `condition` until it holds or `seconds` pass (the sender runs on its own thread)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        threading.Event().wait(0.02)
    return True


@pytest.fixture
def thread_app(make_app):
    app = make_app(MYBLOG_MAIL_SENDER="thread", MYBLOG_MAIL_INTERVAL=0.02)
    yield app
    stop_background_sender(app)


def test_the_first_request_starts_one_sender_thread_that_delivers(thread_app):
    assert EXTENSION_KEY not in thread_app.extensions  # building the app starts nothing
    with thread_app.app_context():
        (email_id,) = queued(1, now=datetime.now(UTC))
    client = thread_app.test_client()
    assert client.get("/").status_code == 200
    sender = thread_app.extensions[EXTENSION_KEY]
    assert sender.running

    def delivered() -> bool:
        with thread_app.app_context():
            return row(email_id).status == OutboxStatus.SENT

    assert wait_until(delivered)
    client.get("/")
    assert thread_app.extensions[EXTENSION_KEY] is sender  # never a second thread
    stop_background_sender(thread_app)
    assert not sender.thread.is_alive()
    assert EXTENSION_KEY not in thread_app.extensions


def test_no_sender_thread_in_testing_by_default(app, client):
    assert app.config["MYBLOG_MAIL_SENDER"] == "off"
    assert client.get("/").status_code == 200
    assert EXTENSION_KEY not in app.extensions


def test_the_sender_thread_ends_when_its_app_is_discarded(tmp_path, make_app):
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'gone.sqlite'}",
            # no pooled connections left behind when the app is collected
            "SQLALCHEMY_ENGINE_OPTIONS": {"poolclass": NullPool},
        },
    )
    with app.app_context():
        db.create_all()
    sender = start_background_sender(app, interval=0.02)
    assert sender.running
    del app
    make_app(setup=False)  # the extensions (Flask-Caching's Cache) now hold the newer app

    def ended() -> bool:
        gc.collect()
        return not sender.thread.is_alive()

    assert wait_until(ended)


def test_mail_worker_once_delivers_what_is_due(app, runner):
    with app.app_context():
        (email_id,) = queued(1, now=datetime.now(UTC) - timedelta(seconds=1))
    result = runner.invoke(args=["mail-worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "Sent 1, 0 to retry, 0 failed." in result.output
    with app.app_context():
        assert row(email_id).status == OutboxStatus.SENT


def test_mail_worker_runs_the_loop_until_interrupted(runner, monkeypatch):
    seen: dict[str, float] = {}

    def fake_loop(app, *, interval: float, stop: threading.Event) -> None:
        seen["interval"] = interval
        raise KeyboardInterrupt

    monkeypatch.setattr(thread_sender, "run_sender_loop", fake_loop)
    result = runner.invoke(args=["mail-worker", "--interval", "2.5"])
    assert result.exit_code == 0, result.output
    assert seen == {"interval": 2.5}
    assert "Delivering mail every 2.5 s" in result.output and "Stopped." in result.output
    result = runner.invoke(args=["mail-worker", "--help"])
    assert "Deliver queued mail in the foreground" in result.output


def test_the_sender_loop_survives_a_failing_pass(app, monkeypatch, caplog):
    passes: list[int] = []
    stop = threading.Event()

    def broken_run_once(*args, **kwargs):
        passes.append(1)
        if len(passes) == 2:
            stop.set()
        raise RuntimeError("database is down")

    monkeypatch.setattr(outbox_delivery, "run_once", broken_run_once)
    with caplog.at_level("ERROR", logger=app.logger.name):
        thread_sender.run_sender_loop(app, interval=0, stop=stop)
    assert len(passes) == 2
    assert "delivery pass failed" in caplog.text


def test_sender_settings_come_from_the_environment(tmp_path, monkeypatch):
    from myblog.config import DevelopmentConfig, TestingConfig

    monkeypatch.delenv("MYBLOG_MAIL_SENDER", raising=False)
    monkeypatch.delenv("MYBLOG_MAIL_INTERVAL", raising=False)
    development = DevelopmentConfig.load(tmp_path)
    assert (development["MYBLOG_MAIL_SENDER"], development["MYBLOG_MAIL_INTERVAL"]) == ("thread", 5)
    assert TestingConfig.load(tmp_path)["MYBLOG_MAIL_SENDER"] == "off"
    monkeypatch.setenv("MYBLOG_MAIL_SENDER", "off")
    monkeypatch.setenv("MYBLOG_MAIL_INTERVAL", "30")
    development = DevelopmentConfig.load(tmp_path)
    assert (development["MYBLOG_MAIL_SENDER"], development["MYBLOG_MAIL_INTERVAL"]) == ("off", 30)


def statuses(app) -> dict[OutboxStatus, int]:
    with app.app_context():
        return outbox_admin.status_counts()


def test_after_a_full_batch_the_next_pass_follows_at_once(app, monkeypatch):
    sent: list[str] = []
    monkeypatch.setattr(smtp, "send_email", lambda email: sent.append(email.message_id))
    with app.app_context():
        queued(BATCH_SIZE * 2 + 10, now=datetime.now(UTC) - timedelta(seconds=1))
    stop = threading.Event()
    loop = threading.Thread(
        target=thread_sender.run_sender_loop, args=(app,), kwargs={"interval": 60, "stop": stop}
    )
    loop.start()
    try:
        # three passes; with a pause of a full interval after each full batch this took 2 min
        assert wait_until(lambda: len(sent) == BATCH_SIZE * 2 + 10, seconds=10)
    finally:
        stop.set()
        loop.join(10)
    assert statuses(app)[OutboxStatus.SENT] == BATCH_SIZE * 2 + 10


def test_stopping_the_sender_mid_batch_gives_the_rest_back_at_once(thread_app, monkeypatch):
    sent: list[str] = []
    third_is_sending = threading.Event()
    may_finish = threading.Event()

    def slow_send(email) -> None:
        if len(sent) == 2:
            third_is_sending.set()
            may_finish.wait(10)
        sent.append(email.message_id)

    monkeypatch.setattr(smtp, "send_email", slow_send)
    with thread_app.app_context():
        queued(20, now=datetime.now(UTC) - timedelta(seconds=1))
    sender = start_background_sender(thread_app, interval=0.02)
    assert third_is_sending.wait(10)
    stopping = threading.Thread(target=stop_background_sender, args=(thread_app,))
    stopping.start()
    assert wait_until(lambda: sender.stop_event.is_set())
    may_finish.set()  # the message in flight goes out; nothing after it
    stopping.join(10)
    assert not sender.thread.is_alive()
    assert len(sent) == 3
    # nothing is left claimed: the 17 others are due now, for any sender to take at once
    assert statuses(thread_app) == {
        OutboxStatus.PENDING: 17,
        OutboxStatus.SENDING: 0,
        OutboxStatus.SENT: 3,
        OutboxStatus.FAILED: 0,
    }
    with thread_app.app_context():
        due = outbox_delivery.claim_due(now=datetime.now(UTC))
    assert len(due.ids) == 17


def test_the_sender_is_stopped_when_the_process_exits(thread_app, monkeypatch):
    """gunicorn's worker ends with sys.exit on SIGTERM: atexit handlers run while the daemon
    thread still lives (tests/integration/test_mail_crashes.py runs gunicorn itself)."""
    registered: list[object] = []
    monkeypatch.setattr(thread_sender.atexit, "register", registered.append)
    monkeypatch.setattr(thread_sender.atexit, "unregister", registered.remove)
    sender = start_background_sender(thread_app, interval=0.02)
    assert registered == [sender.stop]
    stop_background_sender(thread_app)
    assert registered == []
