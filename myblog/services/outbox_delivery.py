"""Delivering the outbox: claim due rows with a short lease, send them one at a time renewing the
lease as the batch goes, record each outcome, retry with backoff, give up by age.

A pass that breaks (the database stops answering, the process is told to stop) gives back what
it holds: rows it sent are recorded as sent and the rest are released, due at once; when the
database cannot take that yet, the batch is kept in memory and settled by the next pass. So a
crash of the whole process can send again only the one message that was in flight, and a
database error alone sends nothing twice.

The send function comes from myblog.delivery (SMTP); nothing here imports it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, select, update

from myblog.extensions import db
from myblog.models import OutboxEmail, OutboxStatus
from myblog.models.types import utcnow
from myblog.services.events import record_mail_given_up

BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 30 * 60
BATCH_SIZE = 50
# the app extension keeping batches a broken pass could not give back yet
LEFTOVERS_KEY = "myblog.outbox_leftovers"

SendFunction = Callable[[OutboxEmail], None]
Clock = Callable[[], datetime]


@dataclass
class DeliveryReport:
    """What one delivery pass did, by outbox row id."""

    claimed: int = 0
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    released: list[int] = field(default_factory=list)


@dataclass
class Batch:
    """The rows one pass holds: those not yet settled, in order, under one lease end; and those
    sent whose outcome is not committed yet."""

    ids: list[int]
    lease_end: datetime
    lease: timedelta
    sent: dict[int, datetime] = field(default_factory=dict)


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after `attempts` failures: 30 s doubling, capped at 30 min."""
    seconds = BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, BACKOFF_CAP_SECONDS))


def lease_length() -> timedelta:
    """How long a claim holds a row: twice the longest one send may take."""
    return timedelta(seconds=2 * current_app.config["MYBLOG_MAIL_SEND_TIMEOUT"])


def give_up_age() -> timedelta:
    """How old an undelivered message may get before it is marked failed."""
    return timedelta(days=current_app.config["MYBLOG_MAIL_GIVE_UP_DAYS"])


def claim_due(
    *, now: datetime, limit: int = BATCH_SIZE, lease_seconds: float | None = None
) -> Batch:
    """Claim due pending rows and 'sending' rows whose lease expired; commit; return them."""
    lease = timedelta(seconds=lease_seconds) if lease_seconds else lease_length()
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
    batch = Batch(ids=[], lease_end=now + lease, lease=lease)
    for email_id, seen_status, seen_at in candidates:
        # compare-and-set: only one claimer can move the row from what it saw
        result = db.session.execute(
            update(OutboxEmail)
            .where(
                OutboxEmail.id == email_id,
                OutboxEmail.status == seen_status,
                OutboxEmail.next_attempt_at == seen_at,
            )
            .values(status=OutboxStatus.SENDING, next_attempt_at=batch.lease_end)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            batch.ids.append(email_id)
    db.session.commit()
    return batch


def _held(batch: Batch, ids: list[int]) -> tuple[ColumnElement[bool], ...]:
    """The condition 'still ours': sending, under this batch's lease end."""
    return (
        OutboxEmail.id.in_(ids),
        OutboxEmail.status == OutboxStatus.SENDING,
        OutboxEmail.next_attempt_at == batch.lease_end,
    )


def deliver(
    batch: Batch,
    send: SendFunction,
    *,
    clock: Clock,
    keep_going: Callable[[], bool] | None = None,
) -> DeliveryReport:
    """Send the batch's rows one by one; each outcome commits together with a renewed lease on
    the rows still to send. When `keep_going` turns false, the rest is released."""
    report = DeliveryReport(claimed=len(batch.ids))
    while batch.ids and (keep_going is None or keep_going()):
        email_id = batch.ids[0]
        email = db.session.get(OutboxEmail, email_id, populate_existing=True)
        outcome = None
        if email is not None and email.status == OutboxStatus.SENDING:
            outcome = _send_one(batch, email, send, now=clock())
            getattr(report, outcome).append(email_id)
        rest = batch.ids[1:]
        lease_end = clock() + batch.lease
        held = _renew(batch, rest, lease_end)
        if outcome == "failed" and email is not None:
            record_mail_given_up(email)  # the admins hear of it, in the same commit
        db.session.commit()
        batch.sent.pop(email_id, None)
        batch.ids, batch.lease_end = [i for i in rest if i in held], lease_end
    if batch.ids:
        report.released = list(batch.ids)
        settle(batch, now=clock())
    return report


def _send_one(batch: Batch, email: OutboxEmail, send: SendFunction, *, now: datetime) -> str:
    """Send one row and record the outcome in the session: 'sent', 'retrying' or 'failed'."""
    try:
        send(email)
    except Exception as exc:  # any failure of the transport is retried later
        return "failed" if _record_failure(email, exc, now=now) else "retrying"
    batch.sent[email.id] = now  # remembered in case the commit that records it fails
    email.status = OutboxStatus.SENT
    email.sent_at = now
    return "sent"


def _renew(batch: Batch, rest: list[int], lease_end: datetime) -> set[int]:
    """Move the lease of the rows still to send to `lease_end`; the ids still held."""
    if not rest:
        return set()
    rows = db.session.execute(
        update(OutboxEmail)
        .where(*_held(batch, rest))
        .values(next_attempt_at=lease_end)
        .returning(OutboxEmail.id)
        .execution_options(synchronize_session=False)
    )
    return set(rows.scalars())


def _record_failure(email: OutboxEmail, exc: Exception, *, now: datetime) -> bool:
    """Count a failed try and schedule the next; True when the email is given up on: it was
    queued longer ago than MYBLOG_MAIL_GIVE_UP_DAYS."""
    email.attempts += 1
    email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if now - email.created_at >= give_up_age():
        email.status = OutboxStatus.FAILED
        return True
    email.status = OutboxStatus.PENDING
    email.next_attempt_at = now + backoff(email.attempts)
    return False


def settle(batch: Batch, *, now: datetime) -> None:
    """Give back what a pass still holds: rows it sent become sent, the rest pending and due
    `now`, each only while it is still under the batch's lease; commit."""
    for email_id, sent_at in batch.sent.items():
        db.session.execute(
            update(OutboxEmail)
            .where(*_held(batch, [email_id]))
            .values(status=OutboxStatus.SENT, sent_at=sent_at)
            .execution_options(synchronize_session=False)
        )
    unsent = [i for i in batch.ids if i not in batch.sent]
    if unsent:
        db.session.execute(
            update(OutboxEmail)
            .where(*_held(batch, unsent))
            .values(status=OutboxStatus.PENDING, next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    batch.ids, batch.sent = [], {}


class Leftovers:
    """Batches a broken pass could not give back, kept per app until the database answers."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.batches: list[Batch] = []

    def keep(self, batch: Batch) -> None:
        with self.lock:
            self.batches.append(batch)

    def settle_all(self, *, now: datetime) -> int:
        """Settle every kept batch; those the database refuses stay kept. How many rows."""
        with self.lock:
            batches, self.batches = self.batches, []
        settled = 0
        for index, batch in enumerate(batches):
            count = len(batch.ids)
            try:
                settle(batch, now=now)
            except BaseException:
                _rollback_quietly()
                with self.lock:
                    self.batches.extend(batches[index:])
                raise
            settled += count
        return settled


def leftovers() -> Leftovers:
    """The current app's kept batches."""
    kept: Leftovers | None = current_app.extensions.get(LEFTOVERS_KEY)
    if kept is None:
        kept = current_app.extensions.setdefault(LEFTOVERS_KEY, Leftovers())
    return kept


def _rollback_quietly() -> None:
    # the connection may be gone: the rollback then only discards the session's state
    with contextlib.suppress(Exception):
        db.session.rollback()


def _give_back(batch: Batch, clock: Clock) -> None:
    """After a pass broke: settle its batch now, or keep it for the next pass."""
    _rollback_quietly()
    if not batch.ids:
        return
    try:
        settle(batch, now=clock())
    except Exception:
        _rollback_quietly()
        leftovers().keep(batch)
        current_app.logger.warning(
            "mail: %d claimed messages are given back when the database answers again",
            len(batch.ids),
        )


def run_once(
    send: SendFunction,
    *,
    now: datetime | None = None,
    limit: int = BATCH_SIZE,
    lease_seconds: float | None = None,
    keep_going: Callable[[], bool] | None = None,
) -> DeliveryReport:
    """Settle what an earlier broken pass left, claim what is due and deliver it with `send`.

    `now` freezes the clock (for tests and replays); by default each step reads the time.
    """
    clock: Clock = (lambda: now) if now is not None else utcnow
    if leftovers().batches:
        leftovers().settle_all(now=clock())
    batch = claim_due(now=clock(), limit=limit, lease_seconds=lease_seconds)
    try:
        return deliver(batch, send, clock=clock, keep_going=keep_going)
    except BaseException:
        _give_back(batch, clock)
        raise
