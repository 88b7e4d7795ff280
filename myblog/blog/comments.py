"""Comment views: the form under a post, posting a comment or reply."""

from __future__ import annotations

import time
from datetime import UTC, datetime

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
from markupsafe import Markup

from myblog.blog import bp
from myblog.blog.forms import CommentForm
from myblog.extensions import csrf, limiter
from myblog.models import CommentPolicy, CommentStatus
from myblog.models._types import utcnow
from myblog.services import comments as comment_service
from myblog.services import posts as post_service
from myblog.services.posts import PostView
from myblog.services.tokens import TokenError, make_token, read_token

STAMP_PURPOSE = "comment-form"


def _stamp(post_id: int) -> str:
    secret = current_app.config["SECRET_KEY"]
    return make_token({"p": post_id, "t": time.time()}, purpose=STAMP_PURPOSE, secret=secret)


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


def comment_form_for(post: PostView) -> CommentForm:
    """An empty comment form for the post page.

    Anonymous readers get no CSRF token in the page: making one would give every reader a
    session cookie. comments.js fetches one when they start writing; without script, the first
    submission comes back with the text kept and a token, and the second one goes through.
    """
    with_token = current_user.is_authenticated
    form = CommentForm(formdata=None, meta={"csrf": with_token})
    form.pristine = True
    form.started.data = _stamp(post.id)
    reply_to = request.args.get("reply_to", "")
    if reply_to.isascii() and reply_to.isdigit() and len(reply_to) < 12:
        target = comment_service.reply_target(post, int(reply_to))
        if target is not None:
            form.parent_id.data = str(target.id)
    return form


def pristine_fields(form: CommentForm) -> Markup | None:
    """The visible fields of an untouched comment form, rendered once per app and variant.

    They are the same for every reader who has not typed anything (no values, no errors), and
    rendering them through WTForms widgets is the largest part of a post page's template.
    Hidden per-request values (stamp, parent, CSRF token) are rendered by the page itself.
    """
    app = current_app
    if not form.pristine or app.jinja_env.auto_reload:
        return None
    signed_in = bool(current_user.is_authenticated)
    rendered: dict[bool, Markup] = app.extensions.setdefault("myblog.comment_fields", {})
    html = rendered.get(signed_in)
    if html is None:
        macros = app.jinja_env.get_template("macros/comments.html").module
        html = rendered[signed_in] = Markup(macros.comment_fields(form, signed_in))  # type: ignore[attr-defined]
    return html


def render_post_page(post: PostView, form: CommentForm, status: int = 200) -> Response:
    older, newer = post_service.neighbours(post)
    comments, comment_count = comment_service.thread(post.id)
    replying_to = None
    parent_id = form.parent_value()
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
        pristine_fields=pristine_fields(form),
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
