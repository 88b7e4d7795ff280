"""Email subscriptions, as a reader meets them: double opt-in and one-click unsubscribe."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from myblog.extensions import db
from myblog.models import Subscriber
from myblog.models.types import utcnow
from myblog.services.events import record_subscriber
from myblog.services.links import external_url
from myblog.services.outbox import queue_mail
from myblog.services.site import site_title
from myblog.services.tokens import TokenError, make_token, read_token, verifying_keys

CONFIRM_PURPOSE = "subscribe-confirm"
UNSUBSCRIBE_PURPOSE = "unsubscribe"
# a pending address gets at most one confirmation mail per hour, however often it is entered
RESEND_AFTER = timedelta(hours=1)


class SubscriptionError(ValueError):
    """A user-facing reason why an address cannot be subscribed."""


class SubscribeOutcome(enum.StrEnum):
    SENT = "sent"  # a confirmation mail is queued
    THROTTLED = "throttled"  # pending, and a confirmation went out less than an hour ago
    ALREADY_CONFIRMED = "already-confirmed"  # nothing to do, no mail


class ConfirmOutcome(enum.StrEnum):
    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already-confirmed"


class UnsubscribeOutcome(enum.StrEnum):
    REMOVED = "removed"
    NOT_SUBSCRIBED = "not-subscribed"


T = TypeVar("T", bound=enum.StrEnum)


@dataclass(frozen=True)
class LinkResult(Generic[T]):
    """What a mailed link did, and for which address (the link's holder may see it)."""

    outcome: T
    email: str


def _secret() -> str:
    return str(current_app.config["SECRET_KEY"])


def normalise_email(raw: str) -> str:
    """The address as stored: trimmed, lower-case, syntactically valid; else SubscriptionError."""
    address = raw.strip().lower()
    if not address or len(address) > 254:
        raise SubscriptionError(_("Enter a valid email address."))
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        raise SubscriptionError(_("That is not a valid email address.")) from None
    return address


def _find(address: str) -> Subscriber | None:
    subscriber: Subscriber | None = db.session.scalar(
        select(Subscriber).where(Subscriber.email == address)
    )
    return subscriber


def _pending_row(address: str, now: datetime) -> Subscriber | None:
    """The address's row, created pending if new; None when another request just created it."""
    subscriber = _find(address)
    if subscriber is not None:
        return subscriber
    subscriber = Subscriber(email=address, created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(subscriber)
    except IntegrityError:
        return None  # the same address submitted twice at once: the other request mails it
    return subscriber


def _claim_confirmation(subscriber: Subscriber, now: datetime) -> bool:
    """Record that a confirmation goes out now, unless one went out within the hour.

    A compare-and-set, so two requests at once for the same address send one mail.
    """
    result = db.session.execute(
        update(Subscriber)
        .where(
            Subscriber.id == subscriber.id,
            Subscriber.confirmed_at.is_(None),
            or_(
                Subscriber.confirmation_sent_at.is_(None),
                Subscriber.confirmation_sent_at <= now - RESEND_AFTER,
            ),
        )
        .values(confirmation_sent_at=now)
        .execution_options(synchronize_session=False)
    )
    claimed = result.rowcount == 1  # type: ignore[attr-defined]
    if claimed:
        set_committed_value(subscriber, "confirmation_sent_at", now)
    return bool(claimed)


def subscribe(email: str, *, now: datetime | None = None) -> SubscribeOutcome:
    """Start a subscription: a pending row and a confirmation mail; commits.

    The outcome is for logs and tests only: callers show every visitor the same answer, so the
    form cannot reveal who is subscribed. Raises SubscriptionError for a malformed address.
    """
    address = normalise_email(email)
    now = now or utcnow()
    subscriber = _pending_row(address, now)
    if subscriber is None:
        db.session.rollback()
        return SubscribeOutcome.THROTTLED
    if subscriber.confirmed_at is not None:
        db.session.rollback()
        return SubscribeOutcome.ALREADY_CONFIRMED
    if not _claim_confirmation(subscriber, now):
        db.session.rollback()
        return SubscribeOutcome.THROTTLED
    token = make_token({"e": address}, purpose=CONFIRM_PURPOSE, secret=_secret())
    queue_mail(
        "subscribe_confirm",
        to=address,
        email=address,
        link=external_url("blog.confirm_subscription", token=token),
        site_title=site_title(),
        days=max(1, current_app.config["MYBLOG_SUBSCRIBE_TOKEN_SECONDS"] // 86400),
    )
    db.session.commit()
    return SubscribeOutcome.SENT


def _address_in(data: dict[str, object]) -> str:
    address = data.get("e")
    if not isinstance(address, str) or not address:
        raise TokenError(_("This link is not valid."))
    return address


def confirm(token: str, *, now: datetime | None = None) -> LinkResult[ConfirmOutcome]:
    """Confirm the address a confirmation link was mailed to; commits.

    Raises TokenError for a forged or expired link, or one whose subscription is gone.
    """
    data = read_token(
        token,
        purpose=CONFIRM_PURPOSE,
        secret=verifying_keys(),
        max_age=current_app.config["MYBLOG_SUBSCRIBE_TOKEN_SECONDS"],
    )
    address = _address_in(data)
    result = db.session.execute(
        update(Subscriber)
        .where(Subscriber.email == address, Subscriber.confirmed_at.is_(None))
        .values(confirmed_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    confirmed = result.rowcount == 1  # type: ignore[attr-defined]
    if confirmed:
        record_subscriber(address)  # the admins hear of it, in the same commit
    db.session.commit()
    if confirmed:
        return LinkResult(ConfirmOutcome.CONFIRMED, address)
    if _find(address) is not None:
        return LinkResult(ConfirmOutcome.ALREADY_CONFIRMED, address)
    raise TokenError(
        _("This subscription was cancelled after the link was sent. Subscribe again if you like.")
    )


def unsubscribe_token(address: str) -> str:
    """The signed token of an address's unsubscribe link."""
    return make_token({"e": address}, purpose=UNSUBSCRIBE_PURPOSE, secret=_secret())


def read_unsubscribe(token: str) -> LinkResult[UnsubscribeOutcome]:
    """Whom an unsubscribe link is for, and whether they are still subscribed; changes nothing.

    The outcome says what unsubscribing would do: REMOVED while the address is on the list.
    """
    address = _unsubscribe_address(token)
    subscribed = _find(address) is not None
    outcome = UnsubscribeOutcome.REMOVED if subscribed else UnsubscribeOutcome.NOT_SUBSCRIBED
    return LinkResult(outcome, address)


def unsubscribe(token: str) -> LinkResult[UnsubscribeOutcome]:
    """Delete the subscription an unsubscribe link is for; idempotent; commits."""
    address = _unsubscribe_address(token)
    result = db.session.execute(delete(Subscriber).where(Subscriber.email == address))
    db.session.commit()
    removed = result.rowcount == 1  # type: ignore[attr-defined]
    return LinkResult(
        UnsubscribeOutcome.REMOVED if removed else UnsubscribeOutcome.NOT_SUBSCRIBED, address
    )


def _unsubscribe_address(token: str) -> str:
    data = read_token(
        token,
        purpose=UNSUBSCRIBE_PURPOSE,
        secret=verifying_keys(),
        max_age=current_app.config["MYBLOG_UNSUBSCRIBE_TOKEN_SECONDS"],
    )
    return _address_in(data)
