"""The live endpoints: Server-Sent Events and long polling for the home page, a post's page and
a writer's notifications.

Readers' channels carry public events only (a post that went live, an approved comment under
that post); a writer's channel carries what concerns them (`Channel.accepts`). Each stream
starts where the client says it stands: the browser's `Last-Event-ID` on a reconnection, else
`?after=` (the id the page was rendered at), else now.
"""

from __future__ import annotations

from flask import abort, current_app, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from myblog.live.blueprint import bp
from myblog.live.hub import get_hub
from myblog.live.streams import from_database, poll_response, sse_response
from myblog.models import User
from myblog.services import events
from myblog.services.events import Channel
from myblog.web import MAX_ID

ID_DIGITS = 19


def position() -> int | None:
    """The client's position: Last-Event-ID (a reconnecting EventSource), else ?after=, else
    None (start now); anything but a whole number in range is a 400."""
    raw = request.headers.get("Last-Event-ID") or request.args.get("after")
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > ID_DIGITS or int(raw) > MAX_ID:
        abort(400, description="after / Last-Event-ID must be an event id.")
    return int(raw)


def public_post(post_id: int) -> Channel:
    """A post's channel, if the public may read the post (else 404)."""
    if not events.post_is_public(post_id):
        abort(404)
    return Channel.post(post_id)


def writer() -> Channel:
    """The signed-in writer's channel (401 for anyone else)."""
    if not current_user.is_authenticated:
        abort(401)
    user: User = current_user._get_current_object()
    return Channel.staff(user)


def serve(channel: Channel, *, stream: bool) -> ResponseReturnValue:
    """Catch up from the database, then stream (SSE) or wait (long poll)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    first = from_database(channel, position())
    hub = get_hub(app)
    return sse_response(hub, channel, first) if stream else poll_response(hub, channel, first)


@bp.route("/home/events")
def home_events() -> ResponseReturnValue:
    """The home page's stream: a post went live."""
    return serve(Channel.home(), stream=True)


@bp.route("/home/poll")
def home_poll() -> ResponseReturnValue:
    """The home page's events by long polling."""
    return serve(Channel.home(), stream=False)


@bp.route("/posts/<id:post_id>/events")
def post_events(post_id: int) -> ResponseReturnValue:
    """A post page's stream: comments approved under it."""
    return serve(public_post(post_id), stream=True)


@bp.route("/posts/<id:post_id>/poll")
def post_poll(post_id: int) -> ResponseReturnValue:
    """A post page's events by long polling."""
    return serve(public_post(post_id), stream=False)


@bp.route("/notifications/events")
def notification_events() -> ResponseReturnValue:
    """A writer's notifications: pending comments on their posts; for admins also mail given up
    on and new subscribers."""
    return serve(writer(), stream=True)


@bp.route("/notifications/poll")
def notification_poll() -> ResponseReturnValue:
    """A writer's notifications by long polling."""
    return serve(writer(), stream=False)
