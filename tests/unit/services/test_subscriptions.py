"""Subscriptions: double opt-in, re-send throttle, confirming, unsubscribing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from subscription_support import HOUR, NOW, confirmed, link_in, mail_count, mails, subscriber

from myblog.extensions import db
from myblog.models import Subscriber
from myblog.services import subscriptions
from myblog.services.subscriptions import (
    RESEND_AFTER,
    ConfirmOutcome,
    SubscribeOutcome,
    SubscriptionError,
    UnsubscribeOutcome,
    confirm,
    read_unsubscribe,
    subscribe,
    unsubscribe,
    unsubscribe_token,
)
from myblog.services.tokens import TokenError

# -- subscribing -----------------------------------------------------------------------------


def test_subscribe_stores_a_pending_address_and_mails_a_confirmation_link(ctx):
    assert subscribe("  Reader@Example.COM ", now=NOW) is SubscribeOutcome.SENT
    row = subscriber("reader@example.com")
    assert row is not None and row.confirmed_at is None and row.confirmation_sent_at == NOW
    (message,) = mails()
    assert message.to == "reader@example.com"
    assert message.subject == "Confirm your subscription to Test Blog"
    assert "reader@example.com" in message.text_body and "7 days" in message.text_body
    link_in(message, "/subscribe/confirm/")


@pytest.mark.parametrize("bad", ["", "   ", "not-an-email", "a@", "@example.com", "a b@c.d"])
def test_malformed_addresses_are_refused_and_nothing_is_stored(ctx, bad):
    with pytest.raises(SubscriptionError, match="valid email address"):
        subscribe(bad)
    assert db.session.scalar(select(func.count(Subscriber.id))) == 0
    assert mail_count() == 0


def test_too_long_an_address_is_refused(ctx):
    with pytest.raises(SubscriptionError):
        subscribe("a" * 250 + "@example.com")


def test_a_pending_address_gets_one_confirmation_an_hour(ctx):
    assert subscribe("r@example.com", now=NOW) is SubscribeOutcome.SENT
    assert subscribe("r@example.com", now=NOW + HOUR - timedelta(seconds=1)) is (
        SubscribeOutcome.THROTTLED
    )
    assert mail_count() == 1
    assert subscribe("r@example.com", now=NOW + RESEND_AFTER) is SubscribeOutcome.SENT
    assert mail_count() == 2
    assert subscriber("r@example.com").confirmation_sent_at == NOW + RESEND_AFTER
    assert db.session.scalar(select(func.count(Subscriber.id))) == 1


def test_a_confirmed_address_gets_no_mail(ctx):
    confirmed("r@example.com")
    assert subscribe("R@example.com", now=NOW + 10 * HOUR) is SubscribeOutcome.ALREADY_CONFIRMED
    assert mail_count() == 0


def test_an_address_created_by_a_simultaneous_request_gets_no_second_mail(ctx, monkeypatch):
    subscribe("r@example.com", now=NOW)
    # the other request inserted the row after this one looked for it
    monkeypatch.setattr(subscriptions, "_find", lambda address: None)
    assert subscribe("r@example.com", now=NOW + 2 * HOUR) is SubscribeOutcome.THROTTLED
    monkeypatch.undo()
    assert mail_count() == 1
    assert db.session.scalar(select(func.count(Subscriber.id))) == 1


# -- confirming ------------------------------------------------------------------------------


def test_the_confirmation_link_confirms_once_then_says_so(ctx):
    subscribe("r@example.com", now=NOW)
    token = link_in(mails()[0], "/subscribe/confirm/")
    result = confirm(token, now=NOW + HOUR)
    assert (result.outcome, result.email) == (ConfirmOutcome.CONFIRMED, "r@example.com")
    assert subscriber("r@example.com").confirmed_at == NOW + HOUR
    again = confirm(token, now=NOW + 2 * HOUR)
    assert again.outcome is ConfirmOutcome.ALREADY_CONFIRMED
    assert subscriber("r@example.com").confirmed_at == NOW + HOUR


def test_forged_altered_and_wrong_purpose_confirmation_links_are_refused(ctx):
    subscribe("r@example.com", now=NOW)
    token = link_in(mails()[0], "/subscribe/confirm/")
    for bad in ("nonsense", token[:-2] + "xx", unsubscribe_token("r@example.com")):
        with pytest.raises(TokenError, match="not valid"):
            confirm(bad)
    assert subscriber("r@example.com").confirmed_at is None


def test_an_expired_confirmation_link_is_refused(make_app):
    app = make_app(MYBLOG_SUBSCRIBE_TOKEN_SECONDS=-1)
    with app.app_context():
        subscribe("r@example.com")
        token = link_in(mails()[0], "/subscribe/confirm/")
        with pytest.raises(TokenError, match="expired"):
            confirm(token)
        assert subscriber("r@example.com").confirmed_at is None


def test_a_confirmation_link_for_a_cancelled_subscription_says_so(ctx):
    subscribe("r@example.com", now=NOW)
    token = link_in(mails()[0], "/subscribe/confirm/")
    unsubscribe(unsubscribe_token("r@example.com"))
    with pytest.raises(TokenError, match="Subscribe again"):
        confirm(token)
    assert subscriber("r@example.com") is None


# -- unsubscribing ---------------------------------------------------------------------------


def test_unsubscribe_deletes_the_row_and_is_idempotent(ctx):
    confirmed("r@example.com", "other@example.com")
    token = unsubscribe_token("r@example.com")
    first = unsubscribe(token)
    assert (first.outcome, first.email) == (UnsubscribeOutcome.REMOVED, "r@example.com")
    assert subscriber("r@example.com") is None
    assert unsubscribe(token).outcome is UnsubscribeOutcome.NOT_SUBSCRIBED
    assert subscriber("other@example.com") is not None


def test_reading_an_unsubscribe_link_changes_nothing(ctx):
    confirmed("r@example.com")
    result = read_unsubscribe(unsubscribe_token("r@example.com"))
    assert (result.outcome, result.email) == (UnsubscribeOutcome.REMOVED, "r@example.com")
    assert subscriber("r@example.com") is not None
    unknown = read_unsubscribe(unsubscribe_token("nobody@example.com"))
    assert unknown.outcome is UnsubscribeOutcome.NOT_SUBSCRIBED


def test_forged_and_expired_unsubscribe_links_are_refused(make_app):
    app = make_app(MYBLOG_UNSUBSCRIBE_TOKEN_SECONDS=-1)
    with app.app_context():
        confirmed("r@example.com")
        with pytest.raises(TokenError, match="expired"):
            unsubscribe(unsubscribe_token("r@example.com"))
        with pytest.raises(TokenError, match="not valid"):
            read_unsubscribe("forged.token.here")
        assert subscriber("r@example.com") is not None
