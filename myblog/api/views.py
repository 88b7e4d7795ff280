"""JSON endpoints: Markdown preview for the editor, the public post list, health."""

from __future__ import annotations

from flask import abort, current_app, g, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from myblog.api.blueprint import bp
from myblog.extensions import csrf
from myblog.queries.listings import PostCard, public_posts
from myblog.services.comments import form_stamp
from myblog.services.health import check_health
from myblog.services.markdown import render_markdown
from myblog.services.posts import MAX_BODY
from myblog.services.revisions import RevisionError, autosave_payload
from myblog.web import id_value, page_arg


@bp.before_request
def require_site() -> ResponseReturnValue | None:
    if g.get("site") is None and request.endpoint != "api.health":
        return jsonify(error={"code": 503, "message": "The blog is not set up yet."}), 503
    return None


@bp.route("/health")
def health() -> ResponseReturnValue:
    """Readiness for load balancers: 200 while the database answers (with Redis down: status
    "degraded"); 503 without the database, naming what failed."""
    report = check_health()
    body: dict[str, object] = {"status": report.status}
    if report.failed:
        body["failed"] = report.failed
    response = jsonify(**body, checks=report.checks)
    response.status_code = 200 if report.ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/csrf-token")
def csrf_token() -> ResponseReturnValue:
    """A CSRF token for a form on a page served without one (comments.js asks when needed);
    with `?post=<id>`, also the comment form's signed "served at" stamp for that post."""
    body = {"csrf_token": generate_csrf()}
    if (post_id := id_value(request.args.get("post", ""))) is not None:
        body["started"] = form_stamp(post_id)
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


def _signed_in_writer() -> ResponseReturnValue | None:
    # who first, then the CSRF token: an editor whose session ended (a logout in another tab,
    # cookies cleared) hears 401 "signed out", not a 400 about a token it cannot renew
    if not current_user.is_authenticated:
        message = _("You were signed out: sign in again in another tab, your text stays here.")
        return jsonify(error={"code": 401, "message": message}), 401
    csrf.protect()
    return None


@bp.route("/preview", methods=["POST"])
@csrf.exempt  # checked by _signed_in_writer
def preview() -> ResponseReturnValue:
    """Render Markdown exactly as a saved post would be rendered (logged-in users)."""
    if refused := _signed_in_writer():
        return refused
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("markdown"), str):
        abort(400, description='Send JSON like {"markdown": "# Title"}.')
    text: str = payload["markdown"]
    if len(text) > MAX_BODY:
        abort(413, description=f"Markdown longer than {MAX_BODY} characters.")
    return jsonify(html=render_markdown(text, source_lines=True))


@bp.route("/autosave", methods=["POST"])
@csrf.exempt  # checked by _signed_in_writer
def autosave() -> ResponseReturnValue:
    """Keep the editor's unsaved work as a pending revision, or discard it (signed-in writers);
    the editor's fallback when its WebSocket is closed."""
    if refused := _signed_in_writer():
        return refused
    try:
        writer = current_user._get_current_object()
        done = autosave_payload(request.get_json(silent=True), user=writer)
    except RevisionError as exc:
        return jsonify(error={"code": exc.code, "message": str(exc.message)}), exc.code
    return jsonify(done)


def _post_json(post: PostCard) -> dict[str, object]:
    return {
        "id": post.id,
        "title": post.title,
        "slug": post.slug,
        "url": url_for("blog.show_post", slug=post.slug, _external=True),
        "excerpt": post.excerpt,
        "published_at": post.published_at.isoformat() if post.published_at else None,
        "author": post.author.display_name,
        "category": post.category.name if post.category else None,
        "tags": [tag.name for tag in post.tags],
    }


@bp.route("/posts")
def list_posts() -> ResponseReturnValue:
    """Published posts, newest first, paginated with ?page=N."""
    per_page = int(current_app.config["MYBLOG_POSTS_PER_PAGE"])
    page = public_posts(page=page_arg(invalid=400), per_page=per_page, with_total=False)
    return jsonify(
        posts=[_post_json(p) for p in page.items],
        page=page.page,
        next=url_for("api.list_posts", page=page.next_num, _external=True)
        if page.has_next
        else None,
        prev=url_for("api.list_posts", page=page.prev_num, _external=True)
        if page.has_prev
        else None,
    )
