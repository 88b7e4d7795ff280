"""The real send function: one outbox row over SMTP through Flask-Mail."""

from __future__ import annotations

import json

from flask import current_app
from flask_mail import Message

from myblog.extensions import mail
from myblog.models import OutboxEmail


def send_email(email: OutboxEmail) -> None:
    """Send one outbox row over SMTP, or log it when no MAIL_SERVER is configured."""
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
    mail.send(message)
