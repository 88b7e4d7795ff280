"""The outbox against a real SMTP server (aiosmtpd): delivery, SMTP down, temporary refusals."""

from __future__ import annotations

import asyncio
import smtplib
import socket
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from myblog.delivery.smtp import send_email
from myblog.extensions import db
from myblog.models import OutboxEmail, OutboxStatus
from myblog.services.outbox import enqueue
from myblog.services.outbox_delivery import run_once

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class Collector:
    """An aiosmtpd handler keeping every accepted message; refuses the first `refuse` RCPTs."""

    def __init__(self, refuse: int = 0) -> None:
        self.refuse = refuse
        self.refused = 0
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if self.refused < self.refuse:
            self.refused += 1
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted"

    def message_ids(self) -> Counter[str]:
        return Counter(str(message["Message-ID"]) for message in self.messages)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SMTPServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.controller: Controller | None = None

    def start(self, handler: Collector) -> Collector:
        self.controller = Controller(handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return handler

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    server = SMTPServer(free_port())
    yield server
    server.stop()


@pytest.fixture
def mail_app(make_app, smtp: SMTPServer):
    return make_app(
        setup=False,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_SUPPRESS_SEND=False,
        MAIL_DEFAULT_SENDER="Test Blog <blog@example.com>",
    )


def enqueue_many(n: int, **kwargs: Any) -> list[str]:
    emails = [
        enqueue(
            to=f"reader{i}@example.com",
            subject=f"New post {i}",
            text_body=f"Plain text {i}",
            html_body=f"<p>HTML {i}</p>",
            now=T0,
            **kwargs,
        )
        for i in range(n)
    ]
    db.session.commit()
    return [email.message_id for email in emails]


def statuses() -> Counter[OutboxStatus]:
    return Counter(db.session.scalars(select(OutboxEmail.status)))


def run_until_idle(now: datetime) -> None:
    for _ in range(100):
        if not run_once(send_email, now=now, limit=20).claimed:
            return
    raise AssertionError("the outbox never drained")


def test_queued_mail_is_delivered_over_smtp(mail_app, smtp):
    collector = smtp.start(Collector())
    with mail_app.app_context():
        message_ids = enqueue_many(3, headers={"List-Unsubscribe": "<https://example.com/u/1>"})
        report = run_once(send_email, now=T0)
        assert len(report.sent) == 3
        assert statuses() == Counter({OutboxStatus.SENT: 3})

    assert collector.message_ids() == Counter(message_ids)
    assert sorted(rcpts for _, rcpts in collector.envelopes) == [
        [f"reader{i}@example.com"] for i in range(3)
    ]
    assert {sender for sender, _ in collector.envelopes} == {"blog@example.com"}
    by_id = {str(message["Message-ID"]): message for message in collector.messages}
    for i, message_id in enumerate(message_ids):
        message = by_id[message_id]
        assert message["To"] == f"reader{i}@example.com"
        assert message["Subject"] == f"New post {i}"
        assert message["List-Unsubscribe"] == "<https://example.com/u/1>"
        assert len(message.get_all("Message-ID") or []) == 1
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        assert text is not None and text.get_content().strip() == f"Plain text {i}"
        assert html is not None and html.get_content().strip() == f"<p>HTML {i}</p>"


def test_nothing_is_lost_while_smtp_is_down(mail_app, smtp):
    with mail_app.app_context():
        message_ids = enqueue_many(50)
        report = run_once(send_email, now=T0, limit=100)
        assert len(report.retrying) == 50 and report.sent == []
        emails = db.session.scalars(select(OutboxEmail)).all()
        assert {(e.status, e.attempts) for e in emails} == {(OutboxStatus.PENDING, 1)}
        assert all(e.last_error for e in emails)

        collector = smtp.start(Collector())
        # before the backoff has passed nothing is due, even with the server back
        assert run_once(send_email, now=T0 + timedelta(seconds=10)).claimed == 0
        run_until_idle(T0 + timedelta(minutes=1))
        assert statuses() == Counter({OutboxStatus.SENT: 50})

    assert collector.message_ids() == Counter(message_ids)


def test_temporary_refusals_are_retried_exactly_once_each(mail_app, smtp):
    collector = smtp.start(Collector(refuse=7))
    with mail_app.app_context():
        message_ids = enqueue_many(20)
        first = run_once(send_email, now=T0, limit=50)
        assert len(first.retrying) == 7 and len(first.sent) == 13
        refused = db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.status == OutboxStatus.PENDING)
        ).all()
        assert {e.attempts for e in refused} == {1}
        assert all("451" in (e.last_error or "") for e in refused)

        run_until_idle(T0 + timedelta(minutes=1))
        assert statuses() == Counter({OutboxStatus.SENT: 20})

    assert collector.refused == 7
    assert collector.message_ids() == Counter(message_ids)


@pytest.mark.postgres
def test_concurrent_senders_on_postgresql_deliver_each_message_once(make_pg_app, smtp):
    from concurrent.futures import ThreadPoolExecutor

    from flask_migrate import upgrade

    app = make_pg_app(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_SUPPRESS_SEND=False,
        MAIL_DEFAULT_SENDER="blog@example.com",
    )
    collector = smtp.start(Collector())
    with app.app_context():
        upgrade()
        message_ids = enqueue_many(40)

    def sender(_: int) -> int:
        sent = 0
        with app.app_context():
            while (report := run_once(send_email, now=T0, limit=5)).claimed:
                sent += len(report.sent)
        return sent

    with ThreadPoolExecutor(max_workers=4) as pool:
        sent_per_sender = list(pool.map(sender, range(4)))

    assert sum(sent_per_sender) == 40
    assert collector.message_ids() == Counter(message_ids)
    with app.app_context():
        assert statuses() == Counter({OutboxStatus.SENT: 40})


class Slow(Collector):
    """Answers every command of the conversation, each a little late."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        await asyncio.sleep(self.seconds)
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        await asyncio.sleep(self.seconds)
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await asyncio.sleep(self.seconds)
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def test_a_conversation_longer_than_the_send_timeout_fails_and_is_retried(make_app, smtp):
    """No single reply is late enough for a per-read timeout, yet the conversation as a whole
    takes too long: the send gives up, so it never outlives its claim's lease."""
    app = make_app(
        setup=False,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_SUPPRESS_SEND=False,
        MYBLOG_MAIL_SEND_TIMEOUT=1,
    )
    smtp.start(Slow(0.4))
    with app.app_context():
        enqueue_many(1)
        started = time.monotonic()
        report = run_once(send_email, now=T0)
        took = time.monotonic() - started
        assert len(report.retrying) == 1
        error = db.session.scalars(select(OutboxEmail.last_error)).one()
    assert took < 1.5
    # a read given only what was left of the deadline, or the deadline itself before a command
    assert error is not None and ("timed out" in error or "MYBLOG_MAIL_SEND_TIMEOUT" in error)


def test_a_failed_quit_after_the_message_was_accepted_counts_as_sent(mail_app, smtp, monkeypatch):
    collector = smtp.start(Collector())

    def broken_quit(self):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(smtplib.SMTP, "quit", broken_quit)
    with mail_app.app_context():
        message_ids = enqueue_many(1)
        assert len(run_once(send_email, now=T0).sent) == 1
    assert collector.message_ids() == Counter(message_ids)
