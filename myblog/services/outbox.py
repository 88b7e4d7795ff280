"""Mail for services: render a templated message, add it to the outbox in the caller's
transaction; then claim, deliver with retries, and list it for the owner.

Delivery itself (SMTP, the sender thread, RQ) is process-level, in myblog.delivery, which
hands `run_once` its send function: nothing here imports it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import make_msgid, parseaddr

from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, insert, select, update

from myblog.extensions import db
from myblog.models import OutboxEmail, OutboxStatus
from myblog.models.types import utcnow
from myblog.services.site import site_language

MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 6 * 3600
LEASE_SECONDS = 300
BATCH_SIZE = 50

SendFunction = Callable[[OutboxEmail], None]


@dataclass
class DeliveryReport:
    """What one delivery pass did, by outbox row id."""

    claimed: int = 0
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


# --- composing: templated mail in the blog's language ----------------------------------------


@dataclass(frozen=True)
class RenderedMail:
    """A message rendered from its templates: subject, text part, HTML part."""

    subject: str
    text: str
    html: str


def _template_names(name: str, extension: str, language: str) -> list[str]:
    # the blog's language first, English (email/<name>.<ext>) when there is no translation
    names = [f"email/{name}.{extension}"]
    if language and language != "en":
        names.insert(0, f"email/{language}/{name}.{extension}")
    return names


def render_mail(name: str, *, language: str | None = None, **context: object) -> RenderedMail:
    """Render email/[<language>/]<name>.txt and .html; the subject is the text part's
    `{% set subject %}…{% endset %}`, so it is translated with the body.

    Only `context` reaches the templates (no request context processors): mail is also
    rendered by background passes outside any request, so links come in ready-made.
    """
    env = current_app.jinja_env
    language = language or site_language()
    context["language"] = language
    text_module = env.select_template(_template_names(name, "txt", language)).make_module(context)
    html = env.select_template(_template_names(name, "html", language)).render(context)
    subject = " ".join(str(getattr(text_module, "subject", "")).split())
    if not subject:
        raise ValueError(f"email/{name}.txt sets no subject")
    return RenderedMail(subject=subject, text=str(text_module).strip() + "\n", html=html)


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


# --- the outbox table: enqueue, claim, deliver, retry -----------------------------------------


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after `attempts` failures: 30 s doubling, capped at 6 h."""
    seconds = BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, BACKOFF_CAP_SECONDS))


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


def claim_due(
    *, now: datetime, limit: int = BATCH_SIZE, lease_seconds: int = LEASE_SECONDS
) -> list[int]:
    """Claim due pending rows and 'sending' rows whose lease expired; commit; return their ids."""
    # A 'sending' row's next_attempt_at is the end of its lease: past it, its sender has died.
    candidates = db.session.execute(
        select(OutboxEmail.id, OutboxEmail.status, OutboxEmail.next_attempt_at)
        .where(
            OutboxEmail.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
            OutboxEmail.next_attempt_at <= now,
        )
        .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
        .limit(limit)
    ).all()
    lease_end = now + timedelta(seconds=lease_seconds)
    claimed: list[int] = []
    for email_id, seen_status, seen_at in candidates:
        # compare-and-set: only one claimer can move the row from what it saw
        result = db.session.execute(
            update(OutboxEmail)
            .where(
                OutboxEmail.id == email_id,
                OutboxEmail.status == seen_status,
                OutboxEmail.next_attempt_at == seen_at,
            )
            .values(status=OutboxStatus.SENDING, next_attempt_at=lease_end)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(email_id)
    db.session.commit()
    return claimed


def deliver(ids: list[int], send: SendFunction, *, now: datetime) -> DeliveryReport:
    """Send each claimed row, committing its outcome one message at a time."""
    report = DeliveryReport(claimed=len(ids))
    for email_id in ids:
        email = db.session.get(OutboxEmail, email_id, populate_existing=True)
        if email is None or email.status != OutboxStatus.SENDING:
            continue
        try:
            send(email)
        except Exception as exc:  # any failure of the transport is retried later
            gave_up = _record_failure(email, exc, now=now)
            (report.failed if gave_up else report.retrying).append(email_id)
        else:
            email.status = OutboxStatus.SENT
            email.sent_at = now
            report.sent.append(email_id)
        db.session.commit()
    return report


def _record_failure(email: OutboxEmail, exc: Exception, *, now: datetime) -> bool:
    """Count a failed try and schedule the next; True when the email is given up on."""
    email.attempts += 1
    email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if email.attempts >= MAX_ATTEMPTS:
        email.status = OutboxStatus.FAILED
        return True
    email.status = OutboxStatus.PENDING
    email.next_attempt_at = now + backoff(email.attempts)
    return False


def retry(email_id: int, *, now: datetime | None = None) -> bool:
    """Put a failed email back in the queue, due now, with a fresh attempt budget; commit."""
    result = db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == email_id, OutboxEmail.status == OutboxStatus.FAILED)
        .values(status=OutboxStatus.PENDING, next_attempt_at=now or utcnow(), attempts=0)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def run_once(
    send: SendFunction,
    *,
    now: datetime | None = None,
    limit: int = BATCH_SIZE,
    lease_seconds: int = LEASE_SECONDS,
) -> DeliveryReport:
    """Claim what is due and deliver it with `send`."""
    now = now or utcnow()
    ids = claim_due(now=now, limit=limit, lease_seconds=lease_seconds)
    return deliver(ids, send, now=now)


# --- the owner's view -------------------------------------------------------------------------


def list_messages(*, page: int, per_page: int, status: OutboxStatus | None = None) -> Pagination:
    """One page of outbox messages for the admin, newest first, optionally by status."""
    query = select(OutboxEmail).order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc())
    if status is not None:
        query = query.where(OutboxEmail.status == status)
    return db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)


def status_counts() -> dict[OutboxStatus, int]:
    """How many outbox messages are in each status."""
    counts = dict.fromkeys(OutboxStatus, 0)
    rows = db.session.execute(
        select(OutboxEmail.status, func.count(OutboxEmail.id)).group_by(OutboxEmail.status)
    )
    for status, count in rows:
        counts[OutboxStatus(status)] = count
    return counts
