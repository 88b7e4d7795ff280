"""Helpers for the outbox and delivery tests: outbox rows queued and read back."""

from __future__ import annotations

from datetime import UTC, datetime

from myblog.extensions import db
from myblog.models import OutboxEmail
from myblog.services.outbox import enqueue

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def queued(n: int = 1, *, now: datetime = T0) -> list[int]:
    emails = [
        enqueue(to=f"reader{i}@example.com", subject=f"Hello {i}", text_body="hi", now=now)
        for i in range(n)
    ]
    db.session.commit()
    return [email.id for email in emails]


def row(email_id: int) -> OutboxEmail:
    email = db.session.get(OutboxEmail, email_id, populate_existing=True)
    assert email is not None
    return email
