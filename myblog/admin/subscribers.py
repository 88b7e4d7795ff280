"""Admin view of email subscribers: the list with counts, and a CSV export."""

from __future__ import annotations

from flask import Response, render_template, stream_with_context
from flask.typing import ResponseReturnValue

from myblog.admin.access import require_admin
from myblog.admin.blueprint import bp
from myblog.models.types import utcnow
from myblog.services import subscribers
from myblog.services.subscribers import SubscriberState
from myblog.web import filter_arg, page_arg


@bp.route("/subscribers")
def list_subscribers() -> ResponseReturnValue:
    """The email subscribers, newest first, with counts by state and a filter by state."""
    require_admin()
    state = filter_arg("state", SubscriberState)
    pagination = subscribers.list_subscribers(page=page_arg(), per_page=50, state=state)
    return render_template(
        "admin/list_subscribers.html",
        pagination=pagination,
        state=state,
        counts=subscribers.subscriber_counts(),
    )


@bp.route("/subscribers.csv")
def export_subscribers() -> ResponseReturnValue:
    """Every subscriber as a CSV download."""
    require_admin()
    filename = f"subscribers-{utcnow():%Y-%m-%d}.csv"
    return Response(
        stream_with_context(subscribers.subscribers_csv()),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
