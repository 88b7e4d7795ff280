"""Announcing new posts: one mail per confirmed subscriber, once per post."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import formataddr
from urllib.parse import urlsplit

from markupsafe import escape
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from myblog.extensions import db
from myblog.models import Post, Subscriber
from myblog.models.types import utcnow
from myblog.services.events import record_post_live
from myblog.services.links import external_url
from myblog.services.outbox import NewEmail, RenderedMail, enqueue_many, render_mail
from myblog.services.site import site_title
from myblog.services.subscriptions import unsubscribe_token

# subscribers read, and outbox rows written, this many at a time
BATCH_SIZE = 500
# a post that went live longer ago than this without being announced (a back catalogue
# imported or forged outside the editor) is marked announced without mailing anyone
ANNOUNCE_WINDOW = timedelta(days=7)
# stands for the per-subscriber link while a new-post mail is rendered once for everyone
_UNSUBSCRIBE_MARKER = "MYBLOG-UNSUBSCRIBE-LINK"


def _list_id(blog_title: str) -> str:
    """RFC 2919 List-Id: the blog's title and a label under the blog's host name."""
    host = urlsplit(external_url("blog.index")).hostname or "localhost"
    title = " ".join(blog_title.split())  # no line breaks in a header
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
    queued = _queue_post_mails(post, now)
    # the readers' "new post" notice, in the same commit as the mark and the mails
    record_post_live(post)
    return queued


def _queue_post_mails(post: Post, now: datetime) -> int:
    blog_title = site_title()
    rendered = render_mail(
        "new_post",
        site_title=blog_title,
        title=post.title,
        excerpt=post.excerpt,
        author=post.author.display_name,
        post_link=external_url("blog.show_post", slug=post.slug),
        unsubscribe_link=_UNSUBSCRIBE_MARKER,
    )
    list_id = _list_id(blog_title)
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
