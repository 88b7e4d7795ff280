"""Helpers for the live tests: the app served on a loopback port, a Server-Sent Events reader,
waiting for a condition with a deadline."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from myblog.extensions import db
from myblog.models import Post, PostStatus, User
from myblog.models.types import utcnow

# what the live tests change: quick heartbeats, short long polls
LIVE_SETTINGS = {
    "MYBLOG_LIVE_HEARTBEAT_SECONDS": 0.3,
    "MYBLOG_LIVE_POLL_WAIT_SECONDS": 1.0,
    "MYBLOG_LIVE_DB_POLL_SECONDS": 0.3,
}


def wait_for(condition: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {seconds} s waiting for {what}")
        time.sleep(0.02)


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """Serve the app on 127.0.0.1 (threaded, as a real server streams) and yield its base URL."""
    from werkzeug.serving import make_server

    from myblog.live.hub import close_hub

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        close_hub(app)  # open streams end, so the server can stop
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@dataclass
class Message:
    """One Server-Sent Events message."""

    event: str = "message"
    data: str = ""
    id: str | None = None
    retry: str | None = None

    def json(self) -> Any:
        return json.loads(self.data)


@dataclass
class EventStream:
    """A text/event-stream response read message by message."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 5.0

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.timeout)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        self.conn.request("GET", path, headers=self.headers)
        self.response = self.conn.getresponse()

    def next(self) -> Message:
        message = Message()
        while True:
            line = self.response.readline().decode()
            if line == "":
                raise EOFError("the stream ended")
            line = line.rstrip("\n")
            if line == "":
                if message.data or message.id or message.retry:
                    return message
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                message.data += value
            elif name in ("event", "id", "retry"):
                setattr(message, name, value)

    def until(self, wanted: Callable[[Message], bool], limit: int = 200) -> list[Message]:
        """Read messages until one matches; returns all read, the match last."""
        seen = []
        for _ in range(limit):
            message = self.next()
            seen.append(message)
            if wanted(message):
                return seen
        raise AssertionError(f"no matching message in {limit}: {seen[-5:]}")

    def events(self, count: int) -> list[Message]:
        """The next `count` messages that are not heartbeats."""
        found: list[Message] = []
        while len(found) < count:
            message = self.next()
            if message.event != "ping" and message.data:  # not a heartbeat, not `retry:` alone
                found.append(message)
        return found

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def post_by(writer: User, slug: str = "p", *, status: PostStatus = PostStatus.PUBLISHED) -> Post:
    """A post of `writer`, committed (published an hour ago unless a draft); in an app context."""
    post = Post(
        title=f"Post {slug}",
        slug=slug,
        body="b",
        body_html="<p>b</p>",
        status=status,
        published_at=None if status is PostStatus.DRAFT else utcnow() - timedelta(hours=1),
        author_id=writer.id,
    )
    db.session.add(post)
    db.session.commit()
    return post
