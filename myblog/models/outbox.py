"""Outgoing mail, stored before it is sent so that none is lost when SMTP is down."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from myblog.extensions import db
from myblog.models.types import UTCDateTime, str_enum, utcnow


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxEmail(db.Model):  # type: ignore[name-defined]
    __tablename__ = "outbox_emails"
    __table_args__ = (
        # the sender's query: due rows of one status, oldest due first
        Index("ix_outbox_emails_status_next_attempt", "status", "next_attempt_at"),
        # the admin's list, newest first
        Index("ix_outbox_emails_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    # extra headers as a JSON object, e.g. {"List-Unsubscribe": "<https://…>"}
    headers: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus),
        default=OutboxStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # fixed at enqueue, so a retried send carries the same Message-ID and can be deduplicated
    message_id: Mapped[str] = mapped_column(String(255), unique=True)

    def __repr__(self) -> str:
        return f"<OutboxEmail {self.id} to={self.to!r} {self.status.value}>"
