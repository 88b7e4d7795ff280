"""The owner's view of the outbox: retrying failed mail, one or all, and the rule that says the
mail relay has been failing for a while."""

from __future__ import annotations

from datetime import timedelta

from outbox_support import T0, queued, row

from myblog.extensions import db
from myblog.models import OutboxStatus
from myblog.services.outbox_admin import RELAY_WARNING_AFTER, relay_trouble, retry, retry_all
from myblog.services.outbox_delivery import run_once


def refuse(email) -> None:
    raise ConnectionRefusedError("[Errno 111] Connection refused")


def accept(email) -> None:
    pass


def fail(email_id: int, *, attempts: int = 8) -> None:
    email = row(email_id)
    email.status, email.attempts, email.last_error = OutboxStatus.FAILED, attempts, "550 nope"
    db.session.commit()


def test_retry_puts_a_failed_message_back(ctx):
    (email_id,) = queued(1)
    fail(email_id)
    later = T0 + timedelta(days=2)
    assert retry(email_id, now=later) is True
    email = row(email_id)
    assert (email.status, email.attempts, email.next_attempt_at) == (
        OutboxStatus.PENDING,
        0,
        later,
    )
    assert run_once(accept, now=later).sent == [email_id]


def test_retry_ignores_messages_that_have_not_failed(ctx):
    (email_id,) = queued(1)
    assert retry(email_id, now=T0) is False
    assert retry(123456, now=T0) is False
    assert row(email_id).status == OutboxStatus.PENDING


def test_a_retried_message_past_the_give_up_age_gets_one_more_try(ctx):
    (email_id,) = queued(1)
    fail(email_id)
    later = T0 + timedelta(days=9)
    assert retry(email_id, now=later)
    assert run_once(refuse, now=later).failed == [email_id]
    assert row(email_id).attempts == 1 and "Connection refused" in (row(email_id).last_error or "")


def test_retry_all_puts_every_failed_message_back_and_nothing_else(ctx):
    failed = queued(3)
    waiting, sent = queued(2)
    for email_id in failed:
        fail(email_id)
    run_once(accept, now=T0)  # the two others go out
    later = T0 + timedelta(days=6)
    assert retry_all(now=later) == 3
    assert {(row(i).status, row(i).next_attempt_at, row(i).attempts) for i in failed} == {
        (OutboxStatus.PENDING, later, 0)
    }
    assert {row(waiting).status, row(sent).status} == {OutboxStatus.SENT}
    assert retry_all(now=later) == 0


def test_no_warning_while_mail_goes_out(ctx):
    assert relay_trouble(now=T0) is None
    queued(2)
    run_once(accept, now=T0)
    assert relay_trouble(now=T0 + timedelta(days=1)) is None


def test_a_relay_failing_for_a_quarter_of_an_hour_is_reported_with_its_last_error(ctx):
    queued(3)
    run_once(refuse, now=T0)
    assert relay_trouble(now=T0 + RELAY_WARNING_AFTER - timedelta(seconds=1)) is None
    trouble = relay_trouble(now=T0 + RELAY_WARNING_AFTER)
    assert trouble is not None
    assert (trouble.since, trouble.waiting, trouble.failed) == (T0, 3, 0)
    assert trouble.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"


def test_a_message_sent_since_restarts_the_count(ctx):
    """One bad message among good ones is not the relay failing: a later success resets it."""
    (bad,) = queued(1)
    run_once(refuse, now=T0)
    later = T0 + timedelta(minutes=20)
    (good,) = queued(1, now=later)

    def refuse_only_the_bad_one(email) -> None:
        if email.id == bad:
            refuse(email)

    run_once(refuse_only_the_bad_one, now=later)
    assert (row(bad).status, row(good).status) == (OutboxStatus.PENDING, OutboxStatus.SENT)
    assert relay_trouble(now=later + timedelta(minutes=14)) is None
    trouble = relay_trouble(now=later + timedelta(minutes=15))
    assert trouble is not None and trouble.since == later


def test_given_up_messages_are_counted_in_the_warning(ctx):
    waiting, given_up = queued(2)
    fail(given_up)
    run_once(refuse, now=T0)
    trouble = relay_trouble(now=T0 + timedelta(hours=1))
    assert trouble is not None and (trouble.waiting, trouble.failed) == (1, 1)
    assert row(waiting).status == OutboxStatus.PENDING
