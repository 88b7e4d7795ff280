"""The post page: the post, its neighbours, its comment thread and the comment form.

Both the post view (`views.show_post`) and the comment view (`comments.add_comment`, which
shows the page again with a refused comment kept in the form) render it from here.
"""

from __future__ import annotations

from flask import Response, current_app, g, make_response, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from myblog.blog.forms import CommentForm
from myblog.blog.metadata import post_metadata
from myblog.models import CommentPolicy, Post, User
from myblog.models.types import utcnow
from myblog.queries.post_page import PostView, neighbours, thread, visible_post_view
from myblog.queries.related import related_posts
from myblog.services import comments as comment_service
from myblog.services.markdown.reading import remembered_reading_minutes, split_toc
from myblog.services.posts import visible_post
from myblog.web import id_value, or_404


def viewer() -> User | None:
    """The signed-in user, or None for an anonymous reader."""
    if not current_user.is_authenticated:
        return None
    user: User = current_user._get_current_object()
    return user


def readable_view_or_404(slug: str) -> PostView:
    """The post as the page shows it, if this reader may read it."""
    return or_404(visible_post_view(slug, viewer=viewer()))


def readable_post_or_404(slug: str) -> Post:
    """The post as an ORM instance, for the requests that change something under it."""
    return or_404(visible_post(slug, viewer=viewer()))


def untouched_fields() -> Markup:
    """The visible fields of a comment form nobody has typed into, rendered once per app.

    They are the same for every reader (no values, no errors), and rendering them through
    WTForms widgets used to be the largest part of a post page. Hidden per-request values
    (stamp, parent, CSRF token) are rendered by the page itself. Signed-in writers get the
    form without name, email and website. One rendering per language.
    """
    app = current_app
    signed_in = bool(current_user.is_authenticated)
    # the labels are in the page's language, the help text follows the comment policy
    key = (signed_in, str(get_locale()), comment_policy())
    rendered: dict[tuple[bool, str, CommentPolicy], Markup] = app.extensions.setdefault(
        "myblog.comment_fields", {}
    )
    html = rendered.get(key)
    if html is None or app.jinja_env.auto_reload:  # in development, templates change
        macros = app.jinja_env.get_template("macros/comments.html").module
        blank = CommentForm(formdata=None, meta={"csrf": False})
        blank.explain(key[2])
        html = rendered[key] = Markup(macros.comment_fields(blank, signed_in))  # type: ignore[attr-defined]
    return html


def comment_policy() -> CommentPolicy:
    """The blog's policy for guests' comments (from the cached settings)."""
    site = g.get("site")
    return site.comment_policy if site is not None else CommentPolicy.MODERATED


def reading_aids(post: PostView) -> dict[str, object]:
    """What helps read the post: its body with the table of contents apart (for the side
    column), the minutes it takes, the posts before and after it and those sharing its tags."""
    toc, body = split_toc(post.body_html)
    older, newer = neighbours(post)
    return {
        "older": older,
        "newer": newer,
        "toc_html": Markup(toc),  # both parts of HTML sanitised when the post was saved
        "body_html": Markup(body),
        "reading_minutes": remembered_reading_minutes(
            (post.id, post.updated_at, len(post.body_html)), post.body_html
        ),
        "related": related_posts(post.id),
    }


def render_post_page(
    post: PostView, form: CommentForm | None = None, status: int = 200
) -> Response:
    """The post page; `form` is a refused comment form to show again, None for a fresh one.

    A fresh form has no form object at all: its fields come from untouched_fields(). Anonymous
    readers get no CSRF token and no stamp in the page (comments.js fetches both when they
    start writing); without script, the first submission comes back with the text kept, a
    token and a stamp, and the second one goes through.
    """
    comments = thread(post.id)
    if form is None:
        replying_to = comments.find(id_value(request.args.get("reply_to", "")))
        parent_id = replying_to.id if replying_to is not None else None
        signed_in = bool(current_user.is_authenticated)
        stamp = comment_service.form_stamp(post.id) if signed_in else ""
        csrf_value = generate_csrf() if signed_in else ""
        fields: Markup | None = untouched_fields()
    else:
        form.explain(comment_policy())
        parent_id = form.parent_value()
        replying_to = comments.find(parent_id)
        stamp = form.started.data or ""
        csrf_value = form.csrf_value()
        fields = None
    body = render_template(
        "blog/show_post.html",
        post=post,
        comments=comments.comments,
        comment_count=comments.count,
        form=form,
        fields=fields,
        hidden={"csrf_token": csrf_value, "parent_id": parent_id or "", "started": stamp},
        replying_to=replying_to,
        comments_open=comment_service.accepts_comments(post, utcnow()),
        meta=post_metadata(post, url_for("blog.show_post", slug=post.slug, _external=True)),
        **reading_aids(post),
    )
    return make_response(body, status)
