"""Mail for services: templated mail (subject in the template, both parts, the blog language,
English fallback), enqueue in the caller's transaction, claim, deliver, back off, retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from jinja2 import TemplateNotFound
from outbox_support import T0, queued, row
from sqlalchemy import func, select

from myblog.extensions import db
from myblog.models import OutboxEmail, OutboxStatus, User
from myblog.services.outbox import (
    MAX_ATTEMPTS,
    backoff,
    claim_due,
    deliver,
    enqueue,
    queue_mail,
    render_mail,
    retry,
    run_once,
)
from myblog.services.site import update_site


def outbox_count() -> int:
    return db.session.scalar(select(func.count(OutboxEmail.id))) or 0


class Recorder:
    """A send function that records what it sent and fails while `failing` is set."""

    def __init__(self, failing: bool = False) -> None:
        self.failing = failing
        self.sent: list[str] = []

    def __call__(self, email: OutboxEmail) -> None:
        if self.failing:
            raise ConnectionRefusedError("smtp down")
        self.sent.append(email.message_id)


# --- enqueue --------------------------------------------------------------------------------


def test_enqueue_does_not_commit(ctx):
    enqueue(to="a@example.com", subject="s", text_body="t")
    db.session.rollback()
    assert outbox_count() == 0


def test_enqueue_commits_with_the_callers_transaction(ctx):
    email = enqueue(
        to="a@example.com",
        subject="Subject",
        text_body="text",
        html_body="<p>html</p>",
        headers={"List-Unsubscribe": "<https://example.com/u>"},
        now=T0,
    )
    db.session.commit()
    db.session.expire_all()
    stored = row(email.id)
    assert stored.status == OutboxStatus.PENDING
    assert stored.attempts == 0
    assert stored.next_attempt_at == T0
    assert stored.html_body == "<p>html</p>"
    assert '"List-Unsubscribe"' in stored.headers
    assert stored.message_id.startswith("<") and stored.message_id.endswith("@localhost>")
    assert repr(stored) == f"<OutboxEmail {stored.id} to='a@example.com' pending>"


def test_message_ids_are_unique(ctx):
    ids = queued(3)
    assert len({row(i).message_id for i in ids}) == 3


# --- claim_due ------------------------------------------------------------------------------


def test_claim_due_claims_only_due_rows(ctx):
    due = queued(2, now=T0)
    later = queued(1, now=T0 + timedelta(minutes=5))
    claimed = claim_due(now=T0, limit=10, lease_seconds=60)
    assert sorted(claimed) == sorted(due)
    assert row(later[0]).status == OutboxStatus.PENDING
    for email_id in due:
        assert row(email_id).status == OutboxStatus.SENDING
        assert row(email_id).next_attempt_at == T0 + timedelta(seconds=60)


def test_claim_due_respects_the_limit(ctx):
    queued(5)
    assert len(claim_due(now=T0, limit=2, lease_seconds=60)) == 2
    assert len(claim_due(now=T0, limit=10, lease_seconds=60)) == 3


def test_two_claimers_never_claim_the_same_row(ctx):
    ids = queued(3)
    first = claim_due(now=T0, limit=10, lease_seconds=60)
    second = claim_due(now=T0, limit=10, lease_seconds=60)
    assert sorted(first) == sorted(ids)
    assert second == []


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
    assert claim_due(now=T0, limit=10, lease_seconds=60) == []
    monkeypatch.undo()
    assert row(email_id).next_attempt_at == T0 + timedelta(seconds=99)


def test_a_stale_sending_row_is_reclaimed_after_its_lease(ctx):
    (email_id,) = queued(1)
    assert claim_due(now=T0, limit=10, lease_seconds=60) == [email_id]
    # the sender died without reporting; before the lease ends nobody may take it
    assert claim_due(now=T0 + timedelta(seconds=59), limit=10, lease_seconds=60) == []
    later = T0 + timedelta(seconds=60)
    assert claim_due(now=later, limit=10, lease_seconds=60) == [email_id]
    assert row(email_id).next_attempt_at == later + timedelta(seconds=60)


# --- deliver --------------------------------------------------------------------------------


def test_deliver_success_marks_sent(ctx):
    ids = queued(2)
    send = Recorder()
    report = deliver(claim_due(now=T0, limit=10, lease_seconds=60), send, now=T0)
    assert sorted(report.sent) == sorted(ids)
    assert report.retrying == [] and report.failed == []
    for email_id in ids:
        email = row(email_id)
        assert email.status == OutboxStatus.SENT
        assert email.sent_at == T0
        assert email.attempts == 0
    assert sorted(send.sent) == sorted(row(i).message_id for i in ids)
    assert claim_due(now=T0 + timedelta(days=1), limit=10, lease_seconds=60) == []


def test_deliver_failure_schedules_a_retry(ctx):
    (email_id,) = queued(1)
    report = deliver(claim_due(now=T0, limit=10, lease_seconds=60), Recorder(True), now=T0)
    assert report.retrying == [email_id]
    email = row(email_id)
    assert email.status == OutboxStatus.PENDING
    assert email.attempts == 1
    assert email.last_error == "ConnectionRefusedError: smtp down"
    assert email.next_attempt_at == T0 + timedelta(seconds=30)
    # not due before the backoff has passed
    assert claim_due(now=T0 + timedelta(seconds=29), limit=10, lease_seconds=60) == []


def test_deliver_skips_rows_it_does_not_hold(ctx):
    (email_id,) = queued(1)
    send = Recorder()
    report = deliver([email_id], send, now=T0)  # pending, never claimed
    assert report.sent == [] and send.sent == []
    assert row(email_id).status == OutboxStatus.PENDING


def test_a_failing_message_does_not_block_the_rest_of_the_batch(ctx):
    ids = queued(3)
    bad = row(ids[1]).message_id

    def send(email: OutboxEmail) -> None:
        if email.message_id == bad:
            raise OSError("mailbox unavailable")

    report = deliver(claim_due(now=T0, limit=10, lease_seconds=60), send, now=T0)
    assert sorted(report.sent) == [ids[0], ids[2]]
    assert report.retrying == [ids[1]]


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [(1, 30), (2, 60), (3, 120), (4, 240), (8, 3840), (10, 15360), (11, 6 * 3600), (30, 6 * 3600)],
)
def test_backoff_schedule(attempts, seconds):
    assert backoff(attempts) == timedelta(seconds=seconds)


def test_failed_after_max_attempts_with_a_stable_message_id(ctx):
    (email_id,) = queued(1)
    message_id = row(email_id).message_id
    seen: list[str] = []

    def send(email: OutboxEmail) -> None:
        seen.append(email.message_id)
        raise TimeoutError("no answer")

    now = T0
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = run_once(send, now=now, limit=10, lease_seconds=60)
        email = row(email_id)
        assert email.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert report.retrying == [email_id]
            assert email.status == OutboxStatus.PENDING
            now = email.next_attempt_at
        else:
            assert report.failed == [email_id]
            assert email.status == OutboxStatus.FAILED
    assert seen == [message_id] * MAX_ATTEMPTS
    # a failed message is never claimed again on its own
    assert claim_due(now=now + timedelta(days=30), limit=10, lease_seconds=60) == []


def test_retry_puts_a_failed_message_back(ctx):
    (email_id,) = queued(1)
    message_id = row(email_id).message_id
    email = row(email_id)
    email.status = OutboxStatus.FAILED
    email.attempts = MAX_ATTEMPTS
    db.session.commit()

    later = T0 + timedelta(days=2)
    assert retry(email_id, now=later) is True
    email = row(email_id)
    assert (email.status, email.attempts, email.next_attempt_at) == (
        OutboxStatus.PENDING,
        0,
        later,
    )
    send = Recorder()
    assert run_once(send, now=later, limit=10, lease_seconds=60).sent == [email_id]
    assert send.sent == [message_id]


def test_retry_ignores_messages_that_have_not_failed(ctx):
    (email_id,) = queued(1)
    assert retry(email_id, now=T0) is False
    assert retry(123456, now=T0) is False
    assert row(email_id).status == OutboxStatus.PENDING


# --- run_once ---------------------------------------------------------------------------------


def test_run_once_defaults_to_the_current_time(ctx):
    (email_id,) = queued(1, now=datetime.now(UTC) - timedelta(seconds=1))
    assert run_once(Recorder()).sent == [email_id]


# --- composing: templated mail -----------------------------------------------------------------


def _owner() -> User:
    return db.session.scalars(select(User)).one()


def test_english_by_default(ctx):
    mail = render_mail("reset_password", user=_owner(), link="http://x/reset/t", site_title="B")
    assert mail.subject == "Reset your password for B"
    assert "http://x/reset/t" in mail.text and "Hello owner," in mail.text
    assert 'href="http://x/reset/t"' in mail.html and '<html lang="en">' in mail.html


def test_the_blog_language_picks_the_translation(ctx):
    update_site(title="B", tagline="", about="", language="zh")
    mail = render_mail("reset_password", user=_owner(), link="http://x/r", site_title="B")
    assert mail.subject == "重置你在 B 的密码"
    assert "设置新密码" in mail.html and '<html lang="zh">' in mail.html


def test_a_language_without_a_translation_falls_back_to_english(ctx):
    mail = render_mail(
        "invite", language="fr", inviter=_owner(), link="http://x", site_title="B", role="author"
    )
    assert mail.subject == "owner invites you to write on B"


def test_text_part_is_not_html_escaped_and_html_part_is(ctx):
    owner = _owner()
    owner.profile.display_name = "<Tom & Jerry>"
    mail = render_mail("reset_password", user=owner, link="http://x/?a=1&b=2", site_title="B")
    assert "Hello <Tom & Jerry>," in mail.text
    assert "&lt;Tom &amp; Jerry&gt;" in mail.html and "<Tom" not in mail.html
    db.session.rollback()


def test_unsupported_language_is_refused(ctx):
    with pytest.raises(ValueError):
        update_site(title="B", tagline="", about="", language="xx")


def test_unknown_template_is_an_error(ctx):
    with pytest.raises(TemplateNotFound):
        render_mail("no_such_mail")


def test_queue_mail_adds_a_row_in_the_callers_transaction(ctx):
    queue_mail(
        "invite",
        to="a@example.com",
        inviter=_owner(),
        link="http://x",
        site_title="B",
        role="author",
        headers={"X-Test": "1"},
    )
    db.session.rollback()
    assert db.session.scalar(select(OutboxEmail.id)) is None
    queue_mail(
        "invite", to="a@example.com", inviter=_owner(), link="http://x", site_title="B", role="a"
    )
    db.session.commit()
    row = db.session.scalars(select(OutboxEmail)).one()
    assert row.subject == "owner invites you to write on B" and row.html_body
