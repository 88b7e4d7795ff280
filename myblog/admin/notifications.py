"""A writer's notifications: the badge in the admin navigation, and the page that lists them.

They arrive live on every admin page (js/live.js, /live/notifications/events); the badge counts
those not seen yet, and opening the page marks them seen.
"""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from myblog.admin.blueprint import bp
from myblog.services import events


@bp.context_processor
def notification_badge() -> dict[str, object]:
    # one statement: the unseen count for the badge, and the newest event id, where the page's
    # live script starts following
    if not current_user.is_authenticated:
        return {"live_unread": 0, "live_after": 0}
    unread, newest = events.notification_state(current_user)
    return {"live_unread": unread, "live_after": newest}


@bp.route("/notifications")
def notifications() -> ResponseReturnValue:
    """This writer's latest notifications, newest first; seeing them clears the badge."""
    found = events.notifications(current_user)
    items = [(event, events.notice(event)) for event in found]
    if found:
        events.mark_seen(current_user, found[0].id)
    return render_template("admin/notifications.html", items=items)
