"""The search page: `/search?q=`, ranked results with marked snippets, a page at a time."""

from __future__ import annotations

from flask import current_app, render_template, request
from flask.typing import ResponseReturnValue

from myblog.blog.blueprint import bp
from myblog.blog.views import per_page
from myblog.extensions import limiter
from myblog.services.search import MAX_QUERY, search_posts
from myblog.web import page_arg


def _search_limit() -> str:
    return str(current_app.config["MYBLOG_SEARCH_LIMIT"])


@bp.route("/search")
@limiter.limit(_search_limit)
def search() -> ResponseReturnValue:
    """Published posts matching ?q=, best first; a clear message for an empty, too long or
    wordless query."""
    results = search_posts(request.args.get("q", ""), page=page_arg(), per_page=per_page())
    return render_template("blog/search.html", results=results, max_query=MAX_QUERY)
