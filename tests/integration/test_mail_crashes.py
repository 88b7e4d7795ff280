"""Senders that die, are stopped, or lose the database in the middle of a batch: every message
still arrives (counted by Message-ID at an SMTP sink), within seconds, and at most the one
message in flight at a crash arrives twice."""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from flask import Flask
from mail_processes import BlogProcess, CountingSink, blog_env, wait_until
from sqlalchemy import func, select
from test_smtp_delivery import SMTPServer, free_port

from myblog.delivery.thread_sender import run_sender_loop
from myblog.extensions import db
from myblog.models import OutboxEmail, OutboxStatus
from myblog.models.types import utcnow
from myblog.services.outbox import enqueue

pytestmark = pytest.mark.faults

MESSAGES = 60  # more than one batch (50)


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    server = SMTPServer(free_port())
    yield server
    server.stop()


def queue_mail(app: Flask, n: int = MESSAGES) -> set[str]:
    with app.app_context():
        now = utcnow() - timedelta(seconds=1)
        emails = [
            enqueue(to=f"reader{i}@example.com", subject=f"Hello {i}", text_body="Hi", now=now)
            for i in range(n)
        ]
        db.session.commit()
        return {email.message_id for email in emails}


def statuses(app: Flask) -> dict[OutboxStatus, int]:
    with app.app_context():
        rows = db.session.execute(
            select(OutboxEmail.status, func.count()).group_by(OutboxEmail.status)
        )
        return {OutboxStatus(status): count for status, count in rows}


@pytest.fixture
def pg_blog(make_pg_app) -> tuple[Flask, str]:
    """An app on a migrated PostgreSQL database of its own, and that database's URL."""
    from flask_migrate import upgrade

    app = make_pg_app(MAIL_DEFAULT_SENDER="blog@example.com")
    with app.app_context():
        upgrade()
    return app, app.config["SQLALCHEMY_DATABASE_URI"]


def stop_after(count: int, action: Callable[[], None]) -> Callable[[int], None]:
    """A sink callback running `action` while the `count`-th message is still being received."""

    def after(n: int) -> None:
        if n == count:
            action()

    return after


@pytest.mark.postgres
def test_a_killed_mail_workers_mail_goes_out_seconds_after_a_new_one_starts(
    pg_blog, smtp, tmp_path, capsys
):
    app, url = pg_blog
    expected = queue_mail(app)
    env = blog_env(url, smtp.port, tmp_path, MYBLOG_MAIL_SEND_TIMEOUT="2")  # a 4 s lease
    first = BlogProcess.flask("mail-worker", env, tmp_path / "first.log")
    # killed (SIGKILL: no chance to clean up) while the 10th message is on the wire
    sink = smtp.start(CountingSink(delay=0.05, after=stop_after(10, first.process.kill)))
    second = None
    try:
        assert wait_until(lambda: not first.alive(), 30), first.text()
        assert sink.total == 10
        second = BlogProcess.flask("mail-worker", env, tmp_path / "second.log")
        assert wait_until(lambda: set(sink.ids) == expected, 30), second.text()
        took = time.monotonic() - second.started
        # the last message's commit follows its arrival at the sink
        all_sent = {OutboxStatus.SENT: MESSAGES}
        assert wait_until(lambda: statuses(app) == all_sent, 10), second.text()
    finally:
        first.stop()
        if second is not None:
            second.stop()
    assert sink.duplicates() <= 1  # only the message in flight when the first was killed
    # the 4 s lease, one interval, and the new process's start (slow on a busy machine); the
    # old 5-minute lease kept this mail back for minutes
    assert took < 15
    with capsys.disabled():
        print(
            f"\n[killed worker] all mail out {took:.1f} s after the new worker started; "
            f"{sink.duplicates()} duplicate(s)"
        )


@pytest.mark.postgres
def test_sigterm_stops_a_mail_worker_after_the_message_in_flight_and_gives_the_rest_back(
    pg_blog, smtp, tmp_path, capsys
):
    app, url = pg_blog
    expected = queue_mail(app)
    env = blog_env(url, smtp.port, tmp_path)  # the default 20 s lease
    first = BlogProcess.flask("mail-worker", env, tmp_path / "first.log")
    sink = smtp.start(
        CountingSink(delay=0.05, after=stop_after(10, lambda: first.signal(signal.SIGTERM)))
    )
    second = None
    try:
        assert first.wait(30) == 0, first.text()
        assert "Stopped." in first.text()
        sent = statuses(app)
        assert sent[OutboxStatus.SENT] == sink.total  # the message in flight went out
        assert OutboxStatus.SENDING not in sent  # the rest was given back
        second = BlogProcess.flask("mail-worker", env, tmp_path / "second.log")
        assert wait_until(lambda: set(sink.ids) == expected, 30), second.text()
        took = time.monotonic() - second.started
    finally:
        first.stop()
        if second is not None:
            second.stop()
    assert sink.duplicates() == 0
    assert took < 15  # the rest was given back: no 20 s lease to wait out
    with capsys.disabled():
        print(f"\n[stopped worker] all mail out {took:.1f} s after the new worker started")


def test_gunicorn_shutting_down_stops_the_embedded_sender_after_the_message_in_flight(
    make_app, smtp, tmp_path
):
    app = make_app(MAIL_DEFAULT_SENDER="blog@example.com")  # the blog, set up, on SQLite
    queue_mail(app, 40)
    port = free_port()
    env = blog_env(
        app.config["SQLALCHEMY_DATABASE_URI"], smtp.port, tmp_path, MYBLOG_MAIL_SENDER="thread"
    )
    args = ["gunicorn", "-w", "1", "-k", "gthread", "--threads", "2", "-b", f"127.0.0.1:{port}"]
    server = BlogProcess([*args, "myblog.wsgi:app"], env, tmp_path / "gunicorn.log")
    sink = smtp.start(
        CountingSink(delay=0.05, after=stop_after(5, lambda: server.signal(signal.SIGTERM)))
    )
    try:
        assert wait_until(lambda: _answers(port), 30), server.text()
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).close()  # starts it
        assert server.wait(30) == 0, server.text()
    finally:
        server.stop()
    left = statuses(app)
    assert OutboxStatus.SENDING not in left, server.text()  # nothing waits out a lease
    assert left[OutboxStatus.SENT] == sink.total and sink.duplicates() == 0
    assert left[OutboxStatus.PENDING] == 40 - sink.total


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


class TCPProxy:
    """A TCP proxy to PostgreSQL that the test can cut (every connection dropped, new ones
    closed at once) and restore."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = True
        self.lock = threading.Lock()
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.open = False
        with self.lock:
            dropped, self.sockets = self.sockets, []
        for sock in dropped:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def restore(self) -> None:
        self.open = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.mark.postgres
def test_the_database_lost_mid_batch_loses_and_repeats_nothing_and_recovers_at_once(
    pg_blog, make_app, smtp, capsys
):
    from sqlalchemy.engine import make_url

    direct, url = pg_blog
    expected = queue_mail(direct)
    target = make_url(url)
    proxy = TCPProxy((target.host or "127.0.0.1", target.port or 5432))
    proxied = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = make_app(
        setup=False,
        schema=False,
        SQLALCHEMY_DATABASE_URI=proxied,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_SUPPRESS_SEND=False,
        MAIL_DEFAULT_SENDER="blog@example.com",
    )
    restored: list[float] = []

    def outage() -> None:  # the database goes away while the 10th message is sent
        proxy.cut()
        threading.Timer(1.5, lambda: (proxy.restore(), restored.append(time.monotonic()))).start()

    sink = smtp.start(CountingSink(delay=0.02, after=stop_after(10, outage)))
    stop = threading.Event()
    sender = threading.Thread(
        target=run_sender_loop, args=(app,), kwargs={"interval": 0.2, "stop": stop}
    )
    sender.start()
    try:
        assert wait_until(lambda: set(sink.ids) == expected, 30)
        took = time.monotonic() - restored[0]
    finally:
        stop.set()
        sender.join(30)
        proxy.close()
    assert sink.duplicates() == 0  # the 10th was sent, and recorded once the database answered
    assert took < 10  # not the 20 s lease: the batch was given back as soon as it could be
    assert statuses(direct) == {OutboxStatus.SENT: MESSAGES}
    with capsys.disabled():
        print(
            f"\n[database outage] all mail out {took:.1f} s after the database came back; "
            f"{sink.duplicates()} duplicate(s)"
        )
