"""The owner's view of the outbox: the list, counts by state, retrying failed messages, and
whether the mail relay has been failing for a while."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select, update

from myblog.extensions import db
from myblog.models import OutboxEmail, OutboxStatus
from myblog.models.types import utcnow

# how long mail must have been failing, with nothing sent since, before the dashboard warns
RELAY_WARNING_AFTER = timedelta(minutes=15)


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


def _requeue_failed(*conditions: object, now: datetime | None) -> int:
    result = db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.status == OutboxStatus.FAILED, *conditions)  # type: ignore[arg-type]
        .values(status=OutboxStatus.PENDING, next_attempt_at=now or utcnow(), attempts=0)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


def retry(email_id: int, *, now: datetime | None = None) -> bool:
    """Put a failed email back in the queue, due now; commit. A message older than the give-up
    age gets this one try: if it fails again, it is failed again."""
    return _requeue_failed(OutboxEmail.id == email_id, now=now) == 1


def retry_all(*, now: datetime | None = None) -> int:
    """Put every failed email back in the queue, due now; commit. How many."""
    return _requeue_failed(now=now)


@dataclass(frozen=True)
class RelayTrouble:
    """Mail has been failing since `since`: `waiting` messages wait for their next try (the
    oldest queued at `since` or before), `failed` were given up on; `last_error` is the latest."""

    since: datetime
    waiting: int
    failed: int
    last_error: str


def relay_trouble(*, now: datetime | None = None) -> RelayTrouble | None:
    """The relay counts as failing when a message that has failed at least once still waits,
    and no message has been sent for RELAY_WARNING_AFTER: since the later of that message's
    queueing and the last successful send. None while mail goes out."""
    now = now or utcnow()
    waiting = (OutboxEmail.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),)
    retried = (*waiting, OutboxEmail.attempts > 0)
    oldest, count = db.session.execute(
        select(func.min(OutboxEmail.created_at), func.count(OutboxEmail.id)).where(*retried)
    ).one()
    if oldest is None:
        return None
    last_sent = db.session.scalar(select(func.max(OutboxEmail.sent_at)))
    since = max(oldest, last_sent) if last_sent else oldest
    if now - since < RELAY_WARNING_AFTER:
        return None
    last_error = db.session.scalar(
        select(OutboxEmail.last_error)
        .where(*retried)
        .order_by(OutboxEmail.next_attempt_at.desc(), OutboxEmail.id.desc())
        .limit(1)
    )
    failed = db.session.scalar(
        select(func.count(OutboxEmail.id)).where(OutboxEmail.status == OutboxStatus.FAILED)
    )
    return RelayTrouble(since=since, waiting=count, failed=failed or 0, last_error=last_error or "")
