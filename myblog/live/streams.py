"""Following the event log for one listener: Server-Sent Events and long polling, with the same
ids and the same guarantee.

A listener has a position (the id of the last event it has dealt with). It first catches up
from the database (`events.replay`: exact, or "reload" when the position is older than the
kept log), then follows the hub, which holds the latest events in memory. Every event above
the position is looked at once, in id order, and sent when the channel accepts it, so a client
that comes back with its position (`Last-Event-ID`, or `after=`) gets exactly what it missed.
No database connection is held while a listener waits.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, jsonify, stream_with_context

from myblog.extensions import db
from myblog.live.hub import Hub
from myblog.live.payloads import poll_item, sse_message, sse_ping, sse_reload
from myblog.queries import release_connection
from myblog.services import events
from myblog.services.events import Channel, EventView

# the browser's reconnection delay after a stream ends, spread so that a restart's clients do
# not all come back in the same instant
RETRY_MS = (1000, 4000)
log = logging.getLogger("myblog.live")

HEADERS = {
    "Cache-Control": "no-store",
    # nginx buffers responses unless told not to: a buffered stream delivers nothing live
    "X-Accel-Buffering": "no",
}


@dataclass(frozen=True, slots=True)
class Step:
    """What a listener gets next: the accepted events, its new position, and whether its page
    must be reloaded first."""

    events: list[EventView]
    cursor: int
    reload: bool = False


def from_database(channel: Channel, after: int | None) -> Step:
    """The next step read from the log itself; the session is closed before returning."""
    try:
        replay = events.replay(after)
    finally:
        db.session.close()
        release_connection()  # and the public pages' read connection, had a hook taken one
    accepted = [e for e in replay.events if channel.accepts(e)]
    return Step(accepted, replay.cursor, replay.reload)


def next_step(hub: Hub, channel: Channel, cursor: int) -> Step:
    """The next step from memory, or from the database when memory does not reach back."""
    found = hub.read(cursor)
    if found is None:
        return from_database(channel, cursor)
    return Step([e for e in found if channel.accepts(e)], found[-1].id if found else cursor)


def _settings() -> tuple[float, float]:
    config = current_app.config
    return config["MYBLOG_LIVE_HEARTBEAT_SECONDS"], config["MYBLOG_LIVE_STREAM_SECONDS"]


def sse_response(hub: Hub, channel: Channel, first: Step) -> Response:
    """A text/event-stream response following the channel from `first`."""
    heartbeat, lifetime = _settings()
    stream = _sse(hub, channel, first, heartbeat=heartbeat, lifetime=lifetime)
    response = Response(stream_with_context(stream), mimetype="text/event-stream")
    response.headers.update(HEADERS)
    return response


def _sse(
    hub: Hub, channel: Channel, step: Step, *, heartbeat: float, lifetime: float
) -> Iterator[str]:
    # a ping at once: a script that sees nothing for a while knows a proxy holds the stream
    yield f"retry: {random.randint(*RETRY_MS)}\n\n" + sse_ping(step.cursor)
    deadline = time.monotonic() + lifetime
    quiet_since = time.monotonic()
    while True:
        out = [sse_reload(step.cursor)] if step.reload else []
        out += [sse_message(e) for e in step.events]
        now = time.monotonic()
        if out or now - quiet_since >= heartbeat:
            yield "".join(out) or sse_ping(step.cursor)
            quiet_since = now
        if now >= deadline or hub.closing:
            return  # the browser reconnects with its Last-Event-ID (and its login is checked)
        hub.wait(step.cursor, min(heartbeat - (now - quiet_since), deadline - now))
        try:
            step = next_step(hub, channel, step.cursor)
        except Exception as exc:  # the database went away: end; the browser comes back later
            log.warning("live: stream ended (%s: %s)", type(exc).__name__, exc)
            return


def poll_response(hub: Hub, channel: Channel, first: Step) -> Response:
    """The long-poll answer: at once when there is something, else when something comes or
    after MYBLOG_LIVE_POLL_WAIT_SECONDS, with the position to ask from next time."""
    step = _wait_for_events(
        hub, channel, first, time.monotonic() + current_app.config["MYBLOG_LIVE_POLL_WAIT_SECONDS"]
    )
    body: dict[str, Any] = {
        "events": [poll_item(e) for e in step.events],
        "last_id": step.cursor,
        "reload": step.reload,
    }
    response = jsonify(body)
    response.headers.update(HEADERS)
    return response


def _wait_for_events(hub: Hub, channel: Channel, step: Step, deadline: float) -> Step:
    while not step.events and not step.reload and not hub.closing:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        hub.wait(step.cursor, left)
        step = next_step(hub, channel, step.cursor)
    return step
