"""What a stream sends for an event: the client's payload, as a Server-Sent Events message or a
long-poll item.

Payloads are the same for every listener of a channel, so each event's SSE text is built once
per process and handed to every stream (a comment is rendered with the thread's own macro once,
not once per reader). Readers' payloads carry no email address; `Channel.accepts` decides who
gets what before anything here runs.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any

from flask import current_app, render_template, request, url_for
from flask_babel import get_locale

from myblog.models import EventKind
from myblog.queries.post_page import ThreadComment
from myblog.services.events import EventView, notice

CACHE_SIZE = 2048
CACHE_KEY = "myblog.live_payloads"
_cache_lock = threading.Lock()


def _app_cache() -> OrderedDict[tuple[int, str, str], str]:
    # per app: two apps in one process (tests) have different events under the same ids
    cache: OrderedDict[tuple[int, str, str], str] = current_app.extensions.setdefault(
        CACHE_KEY, OrderedDict()
    )
    return cache


def _comment_html(data: dict[str, Any]) -> str:
    values = dict(data["comment"])
    values["created_at"] = datetime.fromisoformat(values["created_at"])
    comment = ThreadComment(**values)
    return render_template(
        "live/comment.html", comment=comment, post={"slug": data["slug"]}, open=data["open"]
    )


def payload(event: EventView) -> tuple[str, dict[str, Any]]:
    """The event's name on the wire and its data."""
    data = event.data
    if event.kind is EventKind.COMMENT:
        return "comment", {
            "post_id": event.post_id,
            "comment_id": event.comment_id,
            "parent_id": data["comment"]["parent_id"],
            "html": _comment_html(data),
        }
    if event.kind is EventKind.POST:
        return "post", {
            "post_id": event.post_id,
            "title": data["title"],
            "url": url_for("blog.show_post", slug=data["slug"]),
        }
    said = notice(event)
    return "notice", {
        "kind": event.kind.value,
        "text": said.text,
        "url": url_for(said.endpoint, **said.values),
    }


def sse_message(event: EventView) -> str:
    """`id:`, `event:` and one `data:` line of JSON (which has no raw line breaks)."""
    # the markup and words are in the listener's language ("Reply", a notice's sentence)
    key = (event.id, request.script_root, str(get_locale()))
    cache = _app_cache()
    with _cache_lock:
        text = cache.get(key)
    if text is None:
        name, data = payload(event)
        text = f"id: {event.id}\nevent: {name}\ndata: {json.dumps(data)}\n\n"
        with _cache_lock:
            cache[key] = text
            while len(cache) > CACHE_SIZE:
                cache.popitem(last=False)
    return text


def sse_ping(cursor: int) -> str:
    """The heartbeat: keeps proxies from closing an idle stream, tells the page's script the
    stream is flowing, and moves the browser's Last-Event-ID past events it was not sent."""
    return f"id: {cursor}\nevent: ping\ndata: {cursor}\n\n"


def sse_reload(cursor: int) -> str:
    """The page is older than the kept log: reload it (the stream goes on from `cursor`)."""
    return f"id: {cursor}\nevent: reload\ndata: {cursor}\n\n"


def poll_item(event: EventView) -> dict[str, Any]:
    """An event as the long-poll answer lists it: the SSE message's id, name and data."""
    name, data = payload(event)
    return {"id": event.id, "type": name, "data": data}
