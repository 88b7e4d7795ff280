"""Mail for services: render a templated message and add it to the outbox in the caller's
transaction.

Delivering the outbox is myblog.services.outbox_delivery; the owner's view of it is
myblog.services.outbox_admin; sending itself (SMTP, the sender thread, RQ) is process-level, in
myblog.delivery.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import make_msgid, parseaddr

from flask import current_app
from flask_babel import force_locale, refresh
from sqlalchemy import insert

from myblog.extensions import db
from myblog.models import OutboxEmail, OutboxStatus
from myblog.models.types import utcnow
from myblog.services.site import known_language, site_language

# --- composing: templated mail in the blog's language ----------------------------------------


@dataclass(frozen=True)
class RenderedMail:
    """A message rendered from its templates: subject, text part, HTML part."""

    subject: str
    text: str
    html: str


def render_mail(name: str, *, language: str | None = None, **context: object) -> RenderedMail:
    """Render email/<name>.txt and .html in the blog's default language (or `language`); the
    subject is the text part's `{% set subject %}…{% endset %}`, so it is translated with the
    body.

    Mail has no reader to ask, so the message catalog is the blog's, and its dates are in the
    blog's time zone. Only `context` reaches the templates (no request context processors):
    mail is also rendered by background passes outside any request, so links come in
    ready-made.
    """
    env = current_app.jinja_env
    language = known_language(language) or site_language()
    context["language"] = language.replace("_", "-")  # for <html lang>
    with force_locale(language):
        refresh()  # a long-lived background context keeps no stale language or time zone
        text_module = env.get_template(f"email/{name}.txt").make_module(context)
        html = env.get_template(f"email/{name}.html").render(context)
        subject = " ".join(str(getattr(text_module, "subject", "")).split())
        text = str(text_module).strip() + "\n"
    if not subject:
        raise ValueError(f"email/{name}.txt sets no subject")
    return RenderedMail(subject=subject, text=text, html=html)


def queue_mail(
    name: str,
    *,
    to: str,
    language: str | None = None,
    headers: dict[str, str] | None = None,
    **context: object,
) -> OutboxEmail:
    """Render a templated message and add it to the outbox in the caller's transaction."""
    mail = render_mail(name, language=language, **context)
    return enqueue(
        to=to, subject=mail.subject, text_body=mail.text, html_body=mail.html, headers=headers
    )


# --- the outbox table: enqueue ----------------------------------------------------------------


def _msgid_domain() -> str:
    address = parseaddr(current_app.config.get("MAIL_DEFAULT_SENDER") or "")[1]
    return address.rpartition("@")[2] or "localhost"


def enqueue(
    *,
    to: str,
    subject: str,
    text_body: str,
    html_body: str | None = None,
    headers: dict[str, str] | None = None,
    now: datetime | None = None,
) -> OutboxEmail:
    """Add an email to the outbox in the current session; the caller's commit makes it real."""
    now = now or utcnow()
    email = OutboxEmail(
        to=to,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        headers=json.dumps(headers or {}),
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        message_id=make_msgid(domain=_msgid_domain()),
    )
    db.session.add(email)
    return email


@dataclass(frozen=True)
class NewEmail:
    """One message for `enqueue_many`."""

    to: str
    subject: str
    text_body: str
    html_body: str | None = None
    headers: dict[str, str] | None = None


def enqueue_many(emails: Iterable[NewEmail], *, now: datetime | None = None) -> int:
    """Add many emails to the outbox with one multi-row INSERT in the current transaction, keeping
    no ORM objects in memory (bulk mail); the caller's commit makes them real. Returns how many.
    """
    now = now or utcnow()
    domain = _msgid_domain()
    rows = [
        {
            "to": email.to,
            "subject": email.subject,
            "text_body": email.text_body,
            "html_body": email.html_body,
            "headers": json.dumps(email.headers or {}),
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "message_id": make_msgid(domain=domain),
        }
        for email in emails
    ]
    if rows:
        db.session.execute(insert(OutboxEmail), rows)
    return len(rows)
