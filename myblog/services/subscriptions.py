"""Email subscriptions: double opt-in, one-click unsubscribe, one mail per new post."""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formataddr
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from markupsafe import escape
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from myblog.extensions import db
from myblog.models import Post, Subscriber
from myblog.models.types import utcnow
from myblog.services.links import external_url
from myblog.services.mailer import RenderedMail, queue_mail, render_mail
from myblog.services.outbox import NewEmail, enqueue_many
from myblog.services.tokens import TokenError, make_token, read_token

CONFIRM_PURPOSE = "subscribe-confirm"
UNSUBSCRIBE_PURPOSE = "unsubscribe"
# a pending address gets at most one confirmation mail per hour, however often it is entered
RESEND_AFTER = timedelta(hours=1)
# subscribers read, and outbox rows written, this many at a time
BATCH_SIZE = 500
# a post that went live longer ago than this without being announced (a back catalogue
# imported or forged outside the editor) is marked announced without mailing anyone
ANNOUNCE_WINDOW = timedelta(days=7)
# stands for the per-subscriber link while a new-post mail is rendered once for everyone
_UNSUBSCRIBE_MARKER = "MYBLOG-UNSUBSCRIBE-LINK"


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
        raise SubscriptionError("Enter a valid email address.")
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        raise SubscriptionError("That is not a valid email address.") from None
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
        site_title=_site_title(),
        days=max(1, current_app.config["MYBLOG_SUBSCRIBE_TOKEN_SECONDS"] // 86400),
    )
    db.session.commit()
    return SubscribeOutcome.SENT


def _address_in(data: dict[str, object]) -> str:
    address = data.get("e")
    if not isinstance(address, str) or not address:
        raise TokenError("This link is not valid.")
    return address


def confirm(token: str, *, now: datetime | None = None) -> LinkResult[ConfirmOutcome]:
    """Confirm the address a confirmation link was mailed to; commits.

    Raises TokenError for a forged or expired link, or one whose subscription is gone.
    """
    data = read_token(
        token,
        purpose=CONFIRM_PURPOSE,
        secret=_secret(),
        max_age=current_app.config["MYBLOG_SUBSCRIBE_TOKEN_SECONDS"],
    )
    address = _address_in(data)
    result = db.session.execute(
        update(Subscriber)
        .where(Subscriber.email == address, Subscriber.confirmed_at.is_(None))
        .values(confirmed_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount == 1:  # type: ignore[attr-defined]
        return LinkResult(ConfirmOutcome.CONFIRMED, address)
    if _find(address) is not None:
        return LinkResult(ConfirmOutcome.ALREADY_CONFIRMED, address)
    raise TokenError(
        "This subscription was cancelled after the link was sent. Subscribe again if you like."
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
        secret=_secret(),
        max_age=current_app.config["MYBLOG_UNSUBSCRIBE_TOKEN_SECONDS"],
    )
    return _address_in(data)


# -- announcing new posts ----------------------------------------------------------------------


def _site_title() -> str:
    from myblog.services.site import get_site

    site = get_site()
    return site.title if site is not None else "myblog"


def _list_id(site_title: str) -> str:
    """RFC 2919 List-Id: the blog's title and a label under the blog's host name."""
    host = urlsplit(external_url("blog.index")).hostname or "localhost"
    title = " ".join(site_title.split())  # no line breaks in a header
    return formataddr((title, f"posts.{host}"), charset="utf-8")


def _claim_announcement(post: Post, now: datetime) -> bool:
    """Mark the post announced unless someone did already (compare-and-set)."""
    result = db.session.execute(
        update(Post)
        .where(Post.id == post.id, Post.announced_at.is_(None))
        # announcing is not an edit: keep the post's "updated" time as it is
        .values(announced_at=now, updated_at=Post.updated_at)
        .execution_options(synchronize_session=False)
    )
    claimed = result.rowcount == 1  # type: ignore[attr-defined]
    if claimed:
        set_committed_value(post, "announced_at", now)
    return bool(claimed)


def announce(post: Post, *, now: datetime | None = None, catch_up: bool = False) -> int | None:
    """Queue one mail per confirmed subscriber for a post that has gone live; no commit.

    Returns how many mails were queued, or None when the post is not live yet or has been
    announced already (by this process or another: the claim is a conditional UPDATE, so a
    post is announced once). The caller's commit makes the mark and the outbox rows real
    together. `catch_up` is for background passes: a post that went live longer than
    ANNOUNCE_WINDOW ago is then only marked announced, as mail that late would be stale.
    """
    now = now or utcnow()
    if not post.is_visible(now) or post.announced_at is not None:
        return None
    if post.id is None:
        db.session.flush()
    if not _claim_announcement(post, now):
        return None
    went_live = post.published_at or now
    if catch_up and went_live <= now - ANNOUNCE_WINDOW:
        return 0
    return _queue_post_mails(post, now)


def _queue_post_mails(post: Post, now: datetime) -> int:
    site_title = _site_title()
    rendered = render_mail(
        "new_post",
        site_title=site_title,
        title=post.title,
        excerpt=post.excerpt,
        author=post.author.display_name,
        post_link=external_url("blog.show_post", slug=post.slug),
        unsubscribe_link=_UNSUBSCRIBE_MARKER,
    )
    list_id = _list_id(site_title)
    queued = 0
    last_id = 0
    while True:
        batch = db.session.execute(
            select(Subscriber.id, Subscriber.email)
            .where(Subscriber.confirmed_at.is_not(None), Subscriber.id > last_id)
            .order_by(Subscriber.id)
            .limit(BATCH_SIZE)
        ).all()
        if not batch:
            return queued
        # one multi-row INSERT per batch, so memory stays flat however long the list
        queued += enqueue_many(
            (_post_mail(rendered, address, list_id) for _, address in batch), now=now
        )
        last_id = batch[-1][0]


def _post_mail(rendered: RenderedMail, address: str, list_id: str) -> NewEmail:
    """The new-post mail for one subscriber: their own unsubscribe link, bulk-mail headers."""
    link = external_url("blog.unsubscribe", token=unsubscribe_token(address))
    return NewEmail(
        to=address,
        subject=rendered.subject,
        text_body=rendered.text.replace(_UNSUBSCRIBE_MARKER, link),
        html_body=rendered.html.replace(_UNSUBSCRIBE_MARKER, str(escape(link))),
        headers={
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": list_id,
        },
    )


def announce_due_posts(now: datetime | None = None) -> list[int]:
    """Announce every live post not announced yet (scheduled posts whose time has come), as a
    catch-up (see `announce`); commits after each post. Returns the ids of the posts marked
    announced (including any too old to mail about)."""
    now = now or utcnow()
    due = list(
        db.session.scalars(
            select(Post)
            .where(Post.visible_clause(now), Post.announced_at.is_(None))
            .order_by(Post.published_at, Post.id)
        )
    )
    announced = []
    for post in due:
        if announce(post, now=now, catch_up=True) is not None:
            announced.append(post.id)
        db.session.commit()
    return announced


# -- the owner's view ----------------------------------------------------------------------


class SubscriberState(enum.StrEnum):
    CONFIRMED = "confirmed"
    PENDING = "pending"


@dataclass(frozen=True)
class SubscriberCounts:
    confirmed: int
    pending: int

    @property
    def total(self) -> int:
        return self.confirmed + self.pending


def subscriber_counts() -> SubscriberCounts:
    """How many subscribers have confirmed and how many have not yet."""
    confirmed, total = db.session.execute(
        select(func.count(Subscriber.confirmed_at), func.count(Subscriber.id))
    ).one()
    return SubscriberCounts(confirmed=int(confirmed), pending=int(total) - int(confirmed))


def list_subscribers(
    *, page: int, per_page: int, state: SubscriberState | None = None
) -> Pagination:
    """One page of subscribers for the owner, newest first, optionally by state."""
    query = select(Subscriber).order_by(Subscriber.created_at.desc(), Subscriber.id.desc())
    if state is SubscriberState.CONFIRMED:
        query = query.where(Subscriber.confirmed_at.is_not(None))
    elif state is SubscriberState.PENDING:
        query = query.where(Subscriber.confirmed_at.is_(None))
    return db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)


CSV_HEADER = ("email", "status", "subscribed_at", "confirmed_at")
# a spreadsheet runs a cell starting with one of these as a formula
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: formula-like values get a leading apostrophe."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _iso(when: datetime | None) -> str:
    return when.isoformat(timespec="seconds") if when is not None else ""


def subscriber_rows() -> Iterator[tuple[str, str, str, str]]:
    """Every subscriber as (email, status, subscribed at, confirmed at), oldest first."""
    rows = db.session.execute(
        select(Subscriber.email, Subscriber.created_at, Subscriber.confirmed_at)
        .order_by(Subscriber.id)
        .execution_options(yield_per=BATCH_SIZE)
    )
    for email, created_at, confirmed_at in rows:
        state = SubscriberState.CONFIRMED if confirmed_at is not None else SubscriberState.PENDING
        yield (email, state.value, _iso(created_at), _iso(confirmed_at))


def subscribers_csv() -> Iterator[str]:
    """The subscriber list as CSV text, a header line then one line per subscriber."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in subscriber_rows():
        writer.writerow([csv_cell(cell) for cell in row])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
