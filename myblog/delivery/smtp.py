"""The real send function: one outbox row over SMTP through Flask-Mail, within a time limit."""

from __future__ import annotations

import json
import smtplib
import time
from typing import Any

import flask_mail
from flask import current_app
from flask_mail import Message

from myblog.models import OutboxEmail


def send_email(email: OutboxEmail) -> None:
    """Send one outbox row over SMTP, or log it when no MAIL_SERVER is configured.

    The whole conversation, from connecting to the end of DATA, must end within
    MYBLOG_MAIL_SEND_TIMEOUT seconds, or the send fails and is retried: a claim's lease (twice
    that) then never runs out while its message is still being sent.
    """
    if not current_app.config.get("MAIL_SERVER"):
        # a warning, so it shows without logging set up, and in production it should stand out
        current_app.logger.warning(
            "mail (no MAIL_SERVER, logged instead of sent) to=%s subject=%r message-id=%s\n%s",
            email.to,
            email.subject,
            email.message_id,
            email.text_body,
        )
        return
    message = Message(
        subject=email.subject,
        recipients=[email.to],
        body=email.text_body,
        html=email.html_body,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        extra_headers=json.loads(email.headers or "{}"),
        date=email.created_at.timestamp(),
    )
    # the stored id, not a fresh one, so a retried send is recognisably the same message
    message.msgId = email.message_id
    with _Connection(current_app.extensions["mail"]) as connection:
        message.send(connection)


def _before_write(host: smtplib.SMTP, deadline: float) -> None:
    # every command and its reply get only what is left of the deadline
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("the SMTP conversation took longer than MYBLOG_MAIL_SEND_TIMEOUT")
    if host.sock is not None:
        host.sock.settimeout(remaining)


class _SMTP(smtplib.SMTP):
    def __init__(self, server: str, port: int, *, timeout: float) -> None:
        self.deadline = time.monotonic() + timeout
        super().__init__(server, port, timeout=timeout)

    def send(self, s: Any) -> None:
        _before_write(self, self.deadline)
        super().send(s)


class _SMTPSSL(smtplib.SMTP_SSL):
    def __init__(self, server: str, port: int, *, timeout: float) -> None:
        self.deadline = time.monotonic() + timeout
        super().__init__(server, port, timeout=timeout)

    def send(self, s: Any) -> None:
        _before_write(self, self.deadline)
        super().send(s)


class _Connection(flask_mail.Connection):
    """Flask-Mail's connection with a deadline, and a QUIT whose failure does not undo a
    message the server has already accepted (it would only be sent again)."""

    def configure_host(self) -> smtplib.SMTP:
        timeout = current_app.config["MYBLOG_MAIL_SEND_TIMEOUT"]
        smtp = _SMTPSSL if self.mail.use_ssl else _SMTP
        host = smtp(self.mail.server, self.mail.port, timeout=timeout)
        host.set_debuglevel(int(self.mail.debug))
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host

    def __exit__(self, *exc_info: object) -> None:
        if self.host is None:
            return
        try:
            self.host.quit()
        except (smtplib.SMTPException, OSError):
            self.host.close()
