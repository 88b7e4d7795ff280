"""The editor's live preview over one WebSocket (Flask-Sock), beside the plain HTTP preview
(`/api/preview`) that the editor falls back to when the socket fails.

Messages are JSON objects with a `type` and the client's `seq`, which every answer repeats:
    → {"type": "preview", "seq": 7, "markdown": "# Title"}
    ← {"type": "preview", "seq": 7, "html": "<h1>Title</h1>"}
    ← {"type": "error", "seq": 7, "code": 400 | 413, "message": "…"}
Autosave is the other message type: the editor's unsaved work kept as a pending revision
    → {"type": "autosave", "seq": 8, "post_id": 12 | null, "title": "…", "body": "…"}
    ← {"type": "autosaved", "seq": 8, "post_id": 12, "saved_at": "2026-11-30T13:40:00+00:00"}
    ← {"type": "error", "seq": 8, "code": 401 | 403 | 404 | 413, "message": "…"}
checked against the writer's session on every message (a socket outlives a logout); see
docs/live.md.

A WebSocket is not bound by the same-origin policy, nor by CSRF tokens: the handshake must come
from this site's own pages (Origin) and from a signed-in writer, else the socket is closed with
1008 (policy violation) before any message is read.
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from myblog.extensions import db
from myblog.live.blueprint import bp, sock
from myblog.services.accounts import signed_in_user
from myblog.services.markdown import render_markdown
from myblog.services.posts import MAX_BODY
from myblog.services.revisions import RevisionError, autosave_payload

POLICY_VIOLATION = 1008
# a socket with nothing to say for this long is closed; the editor opens a new one when needed
IDLE_SECONDS = 3600
# how long a closing socket waits for the browser's closing frame
CLOSING_SECONDS = 2
Message = dict[str, Any]


def _error(seq: object, code: int, message: str) -> Message:
    return {"type": "error", "seq": seq, "code": code, "message": message}


def _preview(message: Message, login_id: str) -> Message:
    text = message.get("markdown")
    if not isinstance(text, str):
        return _error(message.get("seq"), 400, 'Send {"type": "preview", "markdown": "…"}.')
    if len(text) > MAX_BODY:
        return _error(message.get("seq"), 413, f"Markdown longer than {MAX_BODY} characters.")
    return {
        "type": "preview",
        "seq": message.get("seq"),
        "html": render_markdown(text, source_lines=True),
    }


def _autosave(message: Message, login_id: str) -> Message:
    seq = message.get("seq")
    try:
        writer = signed_in_user(login_id)
        if writer is None:
            return _error(seq, 401, str(_("You were signed out: sign in again to keep saving.")))
        done = autosave_payload(message, user=writer)
    except RevisionError as exc:
        return _error(seq, exc.code, str(exc.message))
    finally:
        db.session.close()  # no database connection held while the socket waits
    return {"type": "autosaved", "seq": seq, **done}


HANDLERS: dict[str, Callable[[Message, str], Message]] = {
    "preview": _preview,
    "autosave": _autosave,
}


def answer(raw: str | bytes, login_id: str = "") -> Message:
    """The reply to one message from the editor, signed in as `login_id` (`User.get_id`)."""
    try:
        message = json.loads(raw)
    except ValueError:
        return _error(None, 400, "Messages are JSON objects.")
    if not isinstance(message, dict):
        return _error(None, 400, "Messages are JSON objects.")
    handler = HANDLERS.get(str(message.get("type")))
    if handler is None:
        return _error(message.get("seq"), 400, f"Unknown message type {message.get('type')!r}.")
    return handler(message, login_id)


def allowed() -> str | None:
    """The login id of a signed-in writer on a page of this very site (the Origin of the
    handshake), else None."""
    # the host name alone: behind a TLS proxy the app may see http while the page was https,
    # and cookies do not tell ports apart anyway
    origin = urlsplit(request.headers.get("Origin") or "").hostname
    same_site = origin is not None and origin == urlsplit(f"//{request.host}").hostname
    login_id = current_user.get_id() if current_user.is_authenticated else None
    db.session.close()  # the socket may live for hours: no database connection kept meanwhile
    return login_id if same_site else None


@sock.route("/preview", bp=bp)
def preview_socket(ws: Any) -> None:
    """The editor's preview socket: one answer per message, in the order asked."""
    login_id = allowed()
    try:
        if login_id is None:
            ws.close(reason=POLICY_VIOLATION, message="Sign in, from this site's editor.")
            return
        while (raw := ws.receive(timeout=IDLE_SECONDS)) is not None:
            ws.send(json.dumps(answer(raw, login_id)))
        ws.close()
    finally:
        end_conversation(ws, request.environ)


def end_conversation(ws: Any, environ: dict[str, Any]) -> None:
    """Under Werkzeug's server (`flask run`, the tests' live server), let nothing follow the
    closing frame on the wire.

    Flask-Sock hands Werkzeug an empty 200 response once the socket's function returns, and
    Werkzeug writes it, status line and headers, onto the connection that now speaks WebSocket:
    the browser reads "HTTP/1.1 200 OK" as a frame and fails the socket with "Invalid frame
    header" (instead of the close code the server sent). Shut the connection once the closing
    handshake is done, so that write finds it gone; gunicorn and gevent write nothing there."""
    sock = environ.get("werkzeug.socket")
    if sock is None:
        return
    thread = getattr(ws, "thread", None)
    if thread is not None:
        thread.join(timeout=CLOSING_SECONDS)  # the browser's closing frame, or its timeout
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
