"""The background pass run every few seconds by whichever sender is configured."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from myblog.delivery import smtp
from myblog.extensions import db
from myblog.services import outbox
from myblog.services.announcements import announce_due_posts
from myblog.services.outbox import DeliveryReport, SendFunction


def periodic_pass(
    send: SendFunction = smtp.send_email, *, now: datetime | None = None
) -> DeliveryReport:
    """Queue what time has made due, then deliver the outbox's due mail."""
    _announce_due_posts(now)
    return outbox.run_once(send, now=now)


def _announce_due_posts(now: datetime | None) -> None:
    # scheduled posts that went live since the last pass mail their subscribers; a failure
    # here is logged and must not hold up delivering the mail already queued
    try:
        announced = announce_due_posts(now)
    except Exception:
        db.session.rollback()
        current_app.logger.exception("announcing new posts failed")
        return
    if announced:
        current_app.logger.info("announced posts %s to their subscribers", announced)
