"""Comment views: the form under a post, posting a comment or reply."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from functools import lru_cache

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_limiter import RequestLimit
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from myblog.blog import bp
from myblog.blog.forms import CommentForm
from myblog.extensions import csrf, limiter
from myblog.models import CommentPolicy, CommentStatus
from myblog.models.types import utcnow
from myblog.services import comments as comment_service
from myblog.services import posts as post_service
from myblog.services.posts import PostView
from myblog.services.tokens import TokenError, make_token, read_token

STAMP_PURPOSE = "comment-form"


def _stamp(post_id: int) -> str:
    """The signed "form served at" stamp (whole seconds: the minimum fill time is seconds)."""
    return _stamp_at(post_id, int(time.time()), current_app.config["SECRET_KEY"])


@lru_cache(maxsize=1024)
def _stamp_at(post_id: int, second: int, secret: str) -> str:
    # readers of a post within the same second share a stamp: signing is most of its cost
    return make_token({"p": post_id, "t": second}, purpose=STAMP_PURPOSE, secret=secret)


def _started_at(token: str | None, post_id: int) -> datetime | None:
    """When the form was served, from its signed stamp; None when missing or forged."""
    try:
        data = read_token(
            token or "",
            purpose=STAMP_PURPOSE,
            secret=current_app.config["SECRET_KEY"],
            max_age=comment_service.MAX_FORM_AGE_SECONDS,
        )
    except TokenError:
        return None
    if data.get("p") != post_id or not isinstance(data.get("t"), int | float):
        return None
    return datetime.fromtimestamp(data["t"], UTC)


def _reply_target_id(post: PostView) -> int | None:
    """The approved comment of this post named by ?reply_to=, if any."""
    reply_to = request.args.get("reply_to", "")
    if reply_to.isascii() and reply_to.isdigit() and len(reply_to) < 12:
        target = comment_service.reply_target(post, int(reply_to))
        if target is not None:
            return target.id
    return None


def untouched_fields() -> Markup:
    """The visible fields of a comment form nobody has typed into, rendered once per app.

    They are the same for every reader (no values, no errors), and rendering them through
    WTForms widgets used to be the largest part of a post page. Hidden per-request values
    (stamp, parent, CSRF token) are rendered by the page itself. Signed-in writers get the
    form without name, email and website.
    """
    app = current_app
    signed_in = bool(current_user.is_authenticated)
    rendered: dict[bool, Markup] = app.extensions.setdefault("myblog.comment_fields", {})
    html = rendered.get(signed_in)
    if html is None or app.jinja_env.auto_reload:  # in development, templates change
        macros = app.jinja_env.get_template("macros/comments.html").module
        blank = CommentForm(formdata=None, meta={"csrf": False})
        html = rendered[signed_in] = Markup(macros.comment_fields(blank, signed_in))  # type: ignore[attr-defined]
    return html


def render_post_page(
    post: PostView, form: CommentForm | None = None, status: int = 200
) -> Response:
    """The post page; `form` is a submitted comment form to show again, None for a fresh one.

    A fresh form has no form object at all: its fields come from untouched_fields(). Anonymous
    readers get no CSRF token in the page: making one would give every reader a session
    cookie. comments.js fetches one when they start writing; without script, the first
    submission comes back with the text kept and a token, and the second one goes through.
    """
    if form is None:
        parent_id = _reply_target_id(post)
        started = _stamp(post.id)
        csrf_value = generate_csrf() if current_user.is_authenticated else ""
        fields: Markup | None = untouched_fields()
    else:
        parent_id = form.parent_value()
        started = form.started.data or ""
        token_field = getattr(form, "csrf_token", None)
        csrf_value = (token_field.current_token or "") if token_field is not None else ""
        fields = None
    older, newer = post_service.neighbours(post)
    comments, comment_count = comment_service.thread(post.id)
    replying_to = None
    if parent_id is not None:
        replying_to = next((c for c in _walk(comments) if c.id == parent_id), None)
    body = render_template(
        "blog/show_post.html",
        post=post,
        older=older,
        newer=newer,
        comments=comments,
        comment_count=comment_count,
        form=form,
        fields=fields,
        hidden={"csrf_token": csrf_value, "parent_id": parent_id or "", "started": started},
        replying_to=replying_to,
        comments_open=comment_service.accepts_comments(post, utcnow()),
    )
    return make_response(body, status)


def _walk(items: list[comment_service.ThreadComment]) -> list[comment_service.ThreadComment]:
    found = []
    for item in items:
        found.append(item)
        found.extend(_walk(item.replies))
    return found


def _comment_limit() -> str:
    return str(current_app.config["MYBLOG_COMMENT_LIMIT"])


def _too_many_comments(limit: RequestLimit) -> Response | None:
    """On a 429, give the post page back with the comment still in the form."""
    from myblog.blog.views import readable_post_or_404

    post = PostView.of(readable_post_or_404((request.view_args or {}).get("slug", "")))
    form = CommentForm()  # built with a CSRF token, so the next try goes through
    form.form_errors.append(
        "You are commenting too quickly. Please wait a minute and send it again: "
        "your comment is still below."
    )
    return render_post_page(post, form, status=429)


@bp.route("/post/<slug>/comments", methods=["POST"])
@csrf.exempt  # the form checks its own token, so a refused comment comes back with its text
@limiter.limit(_comment_limit, methods=["POST"], on_breach=_too_many_comments)
def add_comment(slug: str) -> ResponseReturnValue:
    from myblog.blog.views import readable_post_or_404

    post = readable_post_or_404(slug)
    if not comment_service.accepts_comments(post, utcnow()):
        abort(403, description="Comments are closed for this post.")
    form = CommentForm()
    user = current_user._get_current_object() if current_user.is_authenticated else None
    form.require_identity = user is None
    if form.validate():
        data = comment_service.CommentInput(
            body=form.body.data or "",
            name=form.name.data or "",
            email=form.email.data or "",
            website=form.website.data or "",
            parent_id=form.parent_value(),
            notify_replies=bool(form.notify_replies.data),
        )
        submission = comment_service.Submission(
            ip=request.remote_addr or "",
            started_at=_started_at(form.started.data, post.id),
            honeypot=form.nickname.data or "",
        )
        site = g.site
        try:
            comment = comment_service.submit_comment(
                post,
                data,
                user=user,
                submission=submission,
                policy=site.comment_policy if site else CommentPolicy.MODERATED,
                secret=current_app.config["SECRET_KEY"],
            )
        except comment_service.CommentsClosed as exc:
            abort(403, description=str(exc))
        except comment_service.CommentError as exc:
            form.form_errors.append(str(exc))
        else:
            if comment.status is CommentStatus.APPROVED:
                flash("Thank you: your comment is published.", "success")
                anchor = f"comment-{comment.id}"
            else:
                flash("Thank you: your comment will appear once it is approved.", "info")
                anchor = "comments"
            return redirect(url_for("blog.show_post", slug=post.slug, _anchor=anchor))
    if _started_at(form.started.data, post.id) is None:
        form.started.data = _stamp(post.id)  # else the first fill still counts towards the minimum
    return render_post_page(PostView.of(post), form, status=400)
