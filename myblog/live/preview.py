"""The editor's live preview over one WebSocket (Flask-Sock), beside the plain HTTP preview
(`/api/preview`) that the editor falls back to when the socket fails.

Messages are JSON objects with a `type` and the client's `seq`, which every answer repeats:
    → {"type": "preview", "seq": 7, "markdown": "# Title"}
    ← {"type": "preview", "seq": 7, "html": "<h1>Title</h1>"}
    ← {"type": "error", "seq": 7, "code": 400 | 413, "message": "…"}
A later `{"type": "save_draft", "seq", "post_id", "version", "title", "body"}` (autosave) is one
more entry in HANDLERS; see docs/live.md.

A WebSocket is not bound by the same-origin policy, nor by CSRF tokens: the handshake must come
from this site's own pages (Origin) and from a signed-in writer, else the socket is closed with
1008 (policy violation) before any message is read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import request
from flask_login import current_user

from myblog.extensions import db
from myblog.live.blueprint import bp, sock
from myblog.services.markdown import render_markdown
from myblog.services.posts import MAX_BODY

POLICY_VIOLATION = 1008
# a socket with nothing to say for this long is closed; the editor opens a new one when needed
IDLE_SECONDS = 3600
Message = dict[str, Any]


def _error(seq: object, code: int, message: str) -> Message:
    return {"type": "error", "seq": seq, "code": code, "message": message}


def _preview(message: Message) -> Message:
    text = message.get("markdown")
    if not isinstance(text, str):
        return _error(message.get("seq"), 400, 'Send {"type": "preview", "markdown": "…"}.')
    if len(text) > MAX_BODY:
        return _error(message.get("seq"), 413, f"Markdown longer than {MAX_BODY} characters.")
    return {"type": "preview", "seq": message.get("seq"), "html": render_markdown(text)}


HANDLERS: dict[str, Callable[[Message], Message]] = {"preview": _preview}


def answer(raw: str | bytes) -> Message:
    """The reply to one message from the editor."""
    try:
        message = json.loads(raw)
    except ValueError:
        return _error(None, 400, "Messages are JSON objects.")
    if not isinstance(message, dict):
        return _error(None, 400, "Messages are JSON objects.")
    handler = HANDLERS.get(str(message.get("type")))
    if handler is None:
        return _error(message.get("seq"), 400, f"Unknown message type {message.get('type')!r}.")
    return handler(message)


def allowed() -> bool:
    """A signed-in writer, on a page of this very site (the Origin of the handshake)."""
    # the host name alone: behind a TLS proxy the app may see http while the page was https,
    # and cookies do not tell ports apart anyway
    origin = urlsplit(request.headers.get("Origin") or "").hostname
    same_site = origin is not None and origin == urlsplit(f"//{request.host}").hostname
    signed_in = bool(current_user.is_authenticated)
    db.session.close()  # the socket may live for hours: no database connection kept meanwhile
    return same_site and signed_in


@sock.route("/preview", bp=bp)
def preview_socket(ws: Any) -> None:
    """The editor's preview socket: one answer per message, in the order asked."""
    if not allowed():
        ws.close(reason=POLICY_VIOLATION, message="Sign in, from this site's editor.")
        return
    while True:
        raw = ws.receive(timeout=IDLE_SECONDS)
        if raw is None:
            ws.close()
            return
        ws.send(json.dumps(answer(raw)))
