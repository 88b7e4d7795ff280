"""Readers' comments: accepting them (with the anti-spam stamp), moderation, notifications.

The approved thread under a post is read by `myblog.queries.post_page.thread`."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from flask import current_app
from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import CursorResult, Select, delete, func, select
from sqlalchemy.orm import joinedload

from myblog.extensions import db
from myblog.models import Comment, CommentPolicy, CommentStatus, Post, User
from myblog.models.types import utcnow
from myblog.services.events import record_comment
from myblog.services.links import external_url
from myblog.services.markdown import count_links, render_comment
from myblog.services.outbox import queue_mail
from myblog.services.site import get_site, site_title
from myblog.services.tokens import TokenError, make_token, read_token, verifying_keys

if TYPE_CHECKING:
    from myblog.queries.post_page import PostView

MAX_BODY = 5000
MAX_LINKS = 3
MIN_FILL_SECONDS = 3
# a comment form older than this is refused as stale (the reader just submits it again)
MAX_FORM_AGE_SECONDS = 24 * 3600


class CommentError(ValueError):
    """A user-facing reason why a comment was not accepted."""


class CommentsClosed(CommentError):
    """The post does not take comments (closed, or not readable)."""


@dataclass
class CommentInput:
    body: str
    name: str = ""
    email: str = ""
    website: str = ""
    parent_id: int | None = None
    notify_replies: bool = False


@dataclass(frozen=True)
class Submission:
    """What the form knows about how it was filled, for the anti-spam checks."""

    ip: str
    started_at: datetime | None  # when the form was served (signed); None if missing/forged
    honeypot: str = ""


def _secret() -> str:
    return str(current_app.config["SECRET_KEY"])


def hash_ip(ip: str) -> str:
    """A keyed hash of the address: the same reader gives the same value, the address is gone."""
    return hmac.new(_secret().encode(), ip.encode(), hashlib.sha256).hexdigest()


STAMP_PURPOSE = "comment-form"


def form_stamp(post_id: int) -> str:
    """The signed "form served at" stamp of a post's comment form (whole seconds: the minimum
    fill time is seconds)."""
    return _stamp_at(post_id, int(time.time()), _secret())


@lru_cache(maxsize=1024)
def _stamp_at(post_id: int, second: int, secret: str) -> str:
    # readers of a post within the same second share a stamp: signing is most of its cost
    return make_token({"p": post_id, "t": second}, purpose=STAMP_PURPOSE, secret=secret)


def stamp_time(stamp: str | None, post_id: int) -> datetime | None:
    """When a post's comment form was served, from its stamp; None when missing or forged."""
    try:
        data = read_token(
            stamp or "",
            purpose=STAMP_PURPOSE,
            secret=verifying_keys(),
            max_age=MAX_FORM_AGE_SECONDS,
        )
    except TokenError:
        return None
    if data.get("p") != post_id or not isinstance(data.get("t"), int | float):
        return None
    return datetime.fromtimestamp(data["t"], UTC)


def accepts_comments(post: Post | PostView, now: datetime) -> bool:
    return post.allow_comments and post.is_visible(now)


def _check_spam(data: CommentInput, submission: Submission, now: datetime) -> None:
    if submission.honeypot.strip():
        raise CommentError(_("Your comment could not be accepted."))
    if submission.started_at is None:
        raise CommentError(_("The form expired; please submit it again."))
    age = (now - submission.started_at).total_seconds()
    if age > MAX_FORM_AGE_SECONDS:
        raise CommentError(_("The form expired; please submit it again."))
    if age < MIN_FILL_SECONDS:
        raise CommentError(_("That was quick! Please check your comment and submit it again."))
    if count_links(data.body) > MAX_LINKS:
        raise CommentError(_("A comment may hold at most %(num)s links.", num=MAX_LINKS))


def _check_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise CommentError(_("The comment is empty."))
    if len(body) > MAX_BODY:
        raise CommentError(
            _(
                "A comment may be at most %(num)s characters (%(given)s given).",
                num=MAX_BODY,
                given=len(body),
            )
        )
    return body


def _parent(post: Post, parent_id: int | None) -> Comment | None:
    if parent_id is None:
        return None
    parent = db.session.get(Comment, parent_id)
    if parent is None or parent.post_id != post.id or parent.status != CommentStatus.APPROVED:
        raise CommentError(_("The comment you are replying to is not there any more."))
    return parent


def _is_trusted(email: str) -> bool:
    found = db.session.scalar(
        select(Comment.id)
        .where(Comment.email == email, Comment.status == CommentStatus.APPROVED)
        .limit(1)
    )
    return found is not None


def initial_status(policy: CommentPolicy, *, user: User | None, email: str) -> CommentStatus:
    """Approved or pending, by the blog's policy; the blog's own writers are always approved."""
    if user is not None or policy is CommentPolicy.OPEN:
        return CommentStatus.APPROVED
    if policy is CommentPolicy.TRUST_RETURNING and _is_trusted(email):
        return CommentStatus.APPROVED
    return CommentStatus.PENDING


def submit_comment(
    post: Post,
    data: CommentInput,
    *,
    user: User | None,
    submission: Submission,
    policy: CommentPolicy | None = None,
    now: datetime | None = None,
) -> Comment:
    """Check and store a comment, queue the notifications it causes; commits. Raises
    CommentsClosed or CommentError. Writers skip the anti-spam checks; `policy` defaults to the
    blog's setting."""
    now = now or utcnow()
    if not accepts_comments(post, now):
        raise CommentsClosed(_("Comments are closed for this post."))
    if user is None:
        _check_spam(data, submission, now)
    body = _check_body(data.body)
    parent = _parent(post, data.parent_id)
    name, email, website = _identity(data, user)
    comment = Comment(
        post=post,
        parent=parent,
        author_id=user.id if user is not None else None,
        name=name[:80],
        email=email,
        website=website,
        body=body,
        body_html=render_comment(body),
        status=initial_status(policy or _blog_policy(), user=user, email=email),
        notify_replies=data.notify_replies,
        ip_hash=hash_ip(submission.ip),
        created_at=now,
    )
    db.session.add(comment)
    db.session.flush()
    _notify(comment, post)
    record_comment(comment, post)
    db.session.commit()
    return comment


def _blog_policy() -> CommentPolicy:
    site = get_site()
    return site.comment_policy if site is not None else CommentPolicy.MODERATED


def _identity(data: CommentInput, user: User | None) -> tuple[str, str, str | None]:
    """Name, email and website: from the account for the blog's writers, else from the form."""
    if user is not None:
        return user.display_name, user.email, None
    name, email = data.name.strip(), data.email.strip().lower()
    if not name or not email:
        raise CommentError(_("Your name and email address are needed."))
    return name, email, data.website.strip() or None


# --- notifications ------------------------------------------------------------------------------


def _comment_link(comment: Comment) -> str:
    return external_url("blog.show_post", slug=comment.post.slug) + f"#comment-{comment.id}"


def _notify(comment: Comment, post: Post) -> None:
    _notify_post_author(comment, post)
    if comment.status is CommentStatus.APPROVED:
        _notify_parent(comment)


def _notify_post_author(comment: Comment, post: Post) -> None:
    author = post.author
    if comment.author_id == author.id or not author.active:
        return
    queue_mail(
        "new_comment",
        to=author.email,
        comment=comment,
        post=post,
        site_title=site_title(),
        pending=comment.status is CommentStatus.PENDING,
        link=_comment_link(comment),
        moderate_link=external_url("admin.list_comments", status=comment.status.value)
        + f"#c{comment.id}",
    )


def _notify_parent(reply: Comment) -> None:
    """Mail the parent's commenter about an approved reply, if they asked for that."""
    parent = reply.parent
    if parent is None or not parent.notify_replies or parent.email == reply.email:
        return
    queue_mail(
        "comment_reply",
        to=parent.email,
        reply=reply,
        parent=parent,
        post=reply.post,
        site_title=site_title(),
        link=_comment_link(reply),
    )


# --- moderation ---------------------------------------------------------------------------------


class Action:
    APPROVE = "approve"
    SPAM = "spam"
    DELETE = "delete"
    ALL = (APPROVE, SPAM, DELETE)


def can_moderate(user: User, post_author_id: int) -> bool:
    """Owners and admins moderate everything; authors the comments on their own posts."""
    return user.is_admin or user.id == post_author_id


def _moderatable(user: User) -> Select[Comment]:
    query = select(Comment)
    if not user.is_admin:
        query = query.join(Post, Comment.post_id == Post.id).where(Post.author_id == user.id)
    return query


def moderation_queue(
    user: User, *, status: CommentStatus, page: int, per_page: int = 20
) -> Pagination:
    """The comments this user may moderate in one status, newest first, with their posts."""
    query = (
        _moderatable(user)
        .where(Comment.status == status)
        .options(joinedload(Comment.post), joinedload(Comment.parent))
        .order_by(Comment.created_at.desc(), Comment.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)


def status_counts(user: User) -> dict[CommentStatus, int]:
    """How many comments this user may moderate are in each status."""
    query = select(Comment.status, func.count(Comment.id)).group_by(Comment.status)
    if not user.is_admin:
        query = query.join(Post, Comment.post_id == Post.id).where(Post.author_id == user.id)
    counts = dict.fromkeys(CommentStatus, 0)
    for status, count in db.session.execute(query):
        counts[CommentStatus(status)] = count
    return counts


def moderate(user: User, action: str, ids: Iterable[int]) -> int:
    """Approve, mark as spam or delete the given comments this user may moderate; commits.

    Comments the user may not moderate are left alone. Returns how many were changed.
    """
    if action not in Action.ALL:
        raise CommentError(_("Unknown action."))
    wanted = sorted({int(i) for i in ids})[:500]
    if not wanted:
        return 0
    comments = list(db.session.scalars(_moderatable(user).where(Comment.id.in_(wanted))))
    if action == Action.DELETE:
        result = db.session.execute(
            delete(Comment)
            .where(Comment.id.in_([c.id for c in comments]))
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        # what this request deleted: not those another one deleted after they were read
        return int(cast("CursorResult[Any]", result).rowcount)
    approved = []
    changed = 0
    for comment in comments:
        if action == Action.APPROVE and comment.status is not CommentStatus.APPROVED:
            comment.status = CommentStatus.APPROVED
            _notify_parent(comment)
            approved.append(comment)
            changed += 1
        elif action == Action.SPAM and comment.status is not CommentStatus.SPAM:
            comment.status = CommentStatus.SPAM
            changed += 1
    # last, after every row this transaction changes: the events' order lock is held to the end
    for comment in approved:
        record_comment(comment, comment.post)
    db.session.commit()
    return changed
