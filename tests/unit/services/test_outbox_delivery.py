"""Delivering the outbox: claim with a short lease renewed as the batch goes, deliver, back off,
give up by age, and give back what a broken or stopped pass holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from outbox_support import T0, queued, row
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from myblog.extensions import db
from myblog.models import OutboxEmail, OutboxStatus
from myblog.services.outbox_delivery import (
    backoff,
    claim_due,
    deliver,
    leftovers,
    run_once,
)


class Recorder:
    """A send function that records what it sent and fails while `failing` is set."""

    def __init__(self, failing: bool = False) -> None:
        self.failing = failing
        self.sent: list[str] = []

    def __call__(self, email: OutboxEmail) -> None:
        if self.failing:
            raise ConnectionRefusedError("smtp down")
        self.sent.append(email.message_id)


class Clock:
    """A clock the test moves."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def statuses() -> dict[OutboxStatus, int]:
    rows = db.session.execute(select(OutboxEmail.status, func.count()).group_by(OutboxEmail.status))
    return {OutboxStatus(status): count for status, count in rows}


# --- claim_due ------------------------------------------------------------------------------


def test_claim_due_claims_only_due_rows(ctx):
    due = queued(2, now=T0)
    later = queued(1, now=T0 + timedelta(minutes=5))
    batch = claim_due(now=T0, limit=10, lease_seconds=60)
    assert sorted(batch.ids) == sorted(due)
    assert batch.lease_end == T0 + timedelta(seconds=60)
    assert row(later[0]).status == OutboxStatus.PENDING
    for email_id in due:
        assert row(email_id).status == OutboxStatus.SENDING
        assert row(email_id).next_attempt_at == T0 + timedelta(seconds=60)


def test_claim_due_respects_the_limit(ctx):
    queued(5)
    assert len(claim_due(now=T0, limit=2, lease_seconds=60).ids) == 2
    assert len(claim_due(now=T0, limit=10, lease_seconds=60).ids) == 3


def test_two_claimers_never_claim_the_same_row(ctx):
    ids = queued(3)
    first = claim_due(now=T0, limit=10, lease_seconds=60)
    second = claim_due(now=T0, limit=10, lease_seconds=60)
    assert sorted(first.ids) == sorted(ids)
    assert second.ids == []


def test_a_claim_loses_when_the_row_changed_since_it_was_read(ctx, monkeypatch):
    """The compare-and-set refuses a row another process claimed between SELECT and UPDATE."""
    (email_id,) = queued(1)
    real_execute = db.session.execute
    stolen = False

    def execute(statement, *args, **kwargs):
        nonlocal stolen
        if not stolen and getattr(statement, "is_dml", False):
            stolen = True  # another worker claims it first, with its own lease
            real_execute(
                OutboxEmail.__table__.update()
                .where(OutboxEmail.id == email_id)
                .values(status=OutboxStatus.SENDING, next_attempt_at=T0 + timedelta(seconds=99))
            )
        return real_execute(statement, *args, **kwargs)

    monkeypatch.setattr(db.session, "execute", execute)
    assert claim_due(now=T0, limit=10, lease_seconds=60).ids == []
    monkeypatch.undo()
    assert row(email_id).next_attempt_at == T0 + timedelta(seconds=99)


def test_the_lease_is_twice_the_send_timeout_and_a_dead_senders_rows_come_back_after_it(app, ctx):
    assert app.config["MYBLOG_MAIL_SEND_TIMEOUT"] == 10
    (email_id,) = queued(1)
    assert claim_due(now=T0).ids == [email_id]  # the sender dies without reporting
    assert claim_due(now=T0 + timedelta(seconds=19)).ids == []
    later = T0 + timedelta(seconds=20)
    assert claim_due(now=later).ids == [email_id]  # 20 s, not minutes
    assert row(email_id).next_attempt_at == later + timedelta(seconds=20)


# --- deliver --------------------------------------------------------------------------------


def test_deliver_success_marks_sent(ctx):
    ids = queued(2)
    send = Recorder()
    report = deliver(claim_due(now=T0, limit=10, lease_seconds=60), send, clock=Clock())
    assert sorted(report.sent) == sorted(ids)
    assert report.retrying == [] and report.failed == [] and report.released == []
    for email_id in ids:
        email = row(email_id)
        assert email.status == OutboxStatus.SENT
        assert email.sent_at == T0
        assert email.attempts == 0
    assert sorted(send.sent) == sorted(row(i).message_id for i in ids)
    assert claim_due(now=T0 + timedelta(days=1), limit=10, lease_seconds=60).ids == []


def test_deliver_failure_schedules_a_retry(ctx):
    (email_id,) = queued(1)
    batch = claim_due(now=T0, limit=10, lease_seconds=60)
    report = deliver(batch, Recorder(True), clock=Clock())
    assert report.retrying == [email_id]
    email = row(email_id)
    assert email.status == OutboxStatus.PENDING
    assert email.attempts == 1
    assert email.last_error == "ConnectionRefusedError: smtp down"
    assert email.next_attempt_at == T0 + timedelta(seconds=30)
    # not due before the backoff has passed
    assert claim_due(now=T0 + timedelta(seconds=29), limit=10, lease_seconds=60).ids == []


def test_a_failing_message_does_not_block_the_rest_of_the_batch(ctx):
    ids = queued(3)
    bad = row(ids[1]).message_id

    def send(email: OutboxEmail) -> None:
        if email.message_id == bad:
            raise OSError("mailbox unavailable")

    report = deliver(claim_due(now=T0, limit=10, lease_seconds=60), send, clock=Clock())
    assert sorted(report.sent) == [ids[0], ids[2]]
    assert report.retrying == [ids[1]]


def test_the_lease_of_the_rows_still_to_send_is_renewed_message_by_message(ctx):
    """Sends of 5 s each under a 20 s lease: without renewal the tail of a 10-message batch
    would be claimable by another sender (and sent twice) before this one reached it."""
    queued(10)
    clock = Clock()
    expired_while_waiting: list[int] = []

    def slow_send(email: OutboxEmail) -> None:
        clock.now += timedelta(seconds=5)
        waiting = db.session.scalars(
            select(OutboxEmail.id).where(
                OutboxEmail.status == OutboxStatus.SENDING,
                OutboxEmail.id != email.id,
                OutboxEmail.next_attempt_at <= clock.now,
            )
        ).all()
        expired_while_waiting.extend(waiting)

    batch = claim_due(now=clock(), limit=10, lease_seconds=20)
    report = deliver(batch, slow_send, clock=clock)
    assert len(report.sent) == 10
    assert expired_while_waiting == []


def test_a_row_whose_lease_was_lost_is_not_sent(ctx):
    ids = queued(3)
    send = Recorder()
    batch = claim_due(now=T0, limit=10, lease_seconds=60)

    def send_while_another_sender_takes_the_last_row(email: OutboxEmail) -> None:
        if email.id == ids[0]:  # our lease on ids[2] ran out and another sender claimed it
            db.session.execute(
                update(OutboxEmail)
                .where(OutboxEmail.id == ids[2])
                .values(next_attempt_at=T0 + timedelta(seconds=999))
            )
        send(email)

    report = deliver(batch, send_while_another_sender_takes_the_last_row, clock=Clock())
    assert report.sent == ids[:2]
    assert len(send.sent) == 2
    assert row(ids[2]).status == OutboxStatus.SENDING  # still the other sender's


def test_a_pass_told_to_stop_gives_the_rest_of_its_batch_back_at_once(ctx):
    ids = queued(5)
    send = Recorder()
    report = run_once(send, now=T0, keep_going=lambda: len(send.sent) < 2)
    assert report.sent == ids[:2] and report.released == ids[2:]
    for email_id in ids[2:]:
        email = row(email_id)
        assert (email.status, email.next_attempt_at, email.attempts) == (
            OutboxStatus.PENDING,
            T0,
            0,
        )
    assert run_once(send, now=T0).sent == ids[2:]  # another sender takes them at once
    assert len(send.sent) == 5


# --- a database error in the middle of a pass -----------------------------------------------


class FlakyCommit:
    """db.session.commit failing (as a lost connection would) on chosen calls."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, fail_on: int, stay_down: bool) -> None:
        self.real = db.session.commit
        self.calls = 0
        self.fail_on = fail_on
        self.stay_down = stay_down
        self.down = False
        monkeypatch.setattr(db.session, "commit", self)

    def __call__(self) -> None:
        self.calls += 1
        if self.calls == self.fail_on:
            self.down = self.stay_down
        elif not self.down:
            return self.real()
        raise OperationalError("COMMIT", {}, Exception("server closed the connection"))


def test_a_commit_failing_mid_batch_gives_the_batch_back_at_once_and_sends_nothing_twice(
    ctx, monkeypatch
):
    ids = queued(6)
    send = Recorder()
    # the claim, the 1st and 2nd outcomes commit; the 3rd does not; the database answers
    # again by the time the pass gives its batch back
    FlakyCommit(monkeypatch, fail_on=4, stay_down=False)
    with pytest.raises(OperationalError):
        run_once(send, now=T0, lease_seconds=60)
    # the third message went out but its commit failed: it is recorded as sent when the
    # pass gives its batch back; the others are released, due now, not after the lease
    assert [row(i).status for i in ids[:3]] == [OutboxStatus.SENT] * 3
    assert {(row(i).status, row(i).next_attempt_at) for i in ids[3:]} == {
        (OutboxStatus.PENDING, T0)
    }
    assert run_once(send, now=T0).sent == ids[3:]
    assert sorted(send.sent) == sorted(row(i).message_id for i in ids)  # each once


def test_while_the_database_stays_down_the_batch_is_kept_and_settled_by_the_next_pass(
    ctx, monkeypatch
):
    ids = queued(4)
    send = Recorder()
    # down from the 2nd message's outcome on
    flaky = FlakyCommit(monkeypatch, fail_on=3, stay_down=True)

    with pytest.raises(OperationalError):
        run_once(send, now=T0, lease_seconds=60)
    assert len(leftovers().batches) == 1
    with pytest.raises(OperationalError):  # still down: nothing claimed, nothing sent
        run_once(send, now=T0 + timedelta(seconds=5), lease_seconds=60)
    assert len(send.sent) == 2 and len(leftovers().batches) == 1

    flaky.down = False
    back = T0 + timedelta(seconds=10)
    report = run_once(send, now=back, lease_seconds=60)
    assert leftovers().batches == []
    assert report.sent == ids[2:]  # released when the database answered, before the lease ran out
    assert statuses() == {OutboxStatus.SENT: 4}
    assert sorted(send.sent) == sorted(row(i).message_id for i in ids)  # each once


# --- backoff and giving up by age -----------------------------------------------------------


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [(1, 30), (2, 60), (3, 120), (4, 240), (6, 960), (7, 1800), (8, 1800), (300, 1800)],
)
def test_backoff_schedule(attempts, seconds):
    assert backoff(attempts) == timedelta(seconds=seconds)


def outage(ids: list[int], *, lasting: timedelta) -> tuple[datetime, list[str]]:
    """Run every pass that falls due while SMTP refuses everything for `lasting`; return the
    moment the relay is back and the Message-IDs tried."""
    seen: list[str] = []

    def refuse(email: OutboxEmail) -> None:
        seen.append(email.message_id)
        raise ConnectionRefusedError("smtp down")

    now, end = T0, T0 + lasting
    while now < end:
        run_once(refuse, now=now, lease_seconds=60)
        due = db.session.scalar(
            select(func.min(OutboxEmail.next_attempt_at)).where(
                OutboxEmail.status == OutboxStatus.PENDING
            )
        )
        if due is None:
            break
        now = max(due.replace(tzinfo=UTC), now)
    return end, seen


def first_pass_after(end: datetime) -> datetime:
    due = db.session.scalar(select(func.min(OutboxEmail.next_attempt_at)))
    return max(due.replace(tzinfo=UTC), end)


def test_an_hour_long_smtp_outage_loses_nothing(ctx):
    ids = queued(3)
    end, seen = outage(ids, lasting=timedelta(hours=1, minutes=5))
    assert statuses() == {OutboxStatus.PENDING: 3}  # the old rule gave up after 63.6 min
    assert {row(i).attempts for i in ids} == {8}
    back = first_pass_after(end)
    assert back - end <= timedelta(minutes=30)  # at most one backoff cap after the relay returns
    send = Recorder()
    assert sorted(run_once(send, now=back).sent) == sorted(ids)
    assert len(set(seen)) == 3


def test_a_three_day_outage_loses_nothing_and_retries_every_half_hour(ctx):
    ids = queued(2)
    end, _ = outage(ids, lasting=timedelta(days=3))
    assert statuses() == {OutboxStatus.PENDING: 2}
    # 30 s doubling to the 30-minute cap, then every 30 minutes: 149 tries in three days
    assert {row(i).attempts for i in ids} == {149}
    back = first_pass_after(end)
    assert back - end <= timedelta(minutes=30)
    assert sorted(run_once(Recorder(), now=back).sent) == sorted(ids)


def test_a_message_is_given_up_when_older_than_the_give_up_days(app, ctx):
    assert app.config["MYBLOG_MAIL_GIVE_UP_DAYS"] == 5
    ids = queued(2)
    _, seen = outage(ids, lasting=timedelta(days=6))
    assert statuses() == {OutboxStatus.FAILED: 2}
    last = max(row(i).next_attempt_at for i in ids)
    assert T0 + timedelta(days=5) <= last <= T0 + timedelta(days=5, minutes=30)
    assert all(row(i).last_error == "ConnectionRefusedError: smtp down" for i in ids)
    assert set(seen) == {row(i).message_id for i in ids}  # one Message-ID each, every try
    # a failed message is never claimed again on its own
    assert claim_due(now=T0 + timedelta(days=30), limit=10, lease_seconds=60).ids == []


def test_the_give_up_age_is_a_setting(make_app):
    app = make_app(MYBLOG_MAIL_GIVE_UP_DAYS=1)
    with app.app_context():
        (email_id,) = queued(1)
        outage([email_id], lasting=timedelta(days=2))
        assert row(email_id).status == OutboxStatus.FAILED
        assert row(email_id).attempts < 60


# --- run_once -------------------------------------------------------------------------------


def test_run_once_defaults_to_the_current_time(ctx):
    (email_id,) = queued(1, now=datetime.now(UTC) - timedelta(seconds=1))
    assert run_once(Recorder()).sent == [email_id]
