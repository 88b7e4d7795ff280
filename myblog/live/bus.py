"""The event bus: wake-ups saying "there are live events up to id N", from the processes that
commit events to the streams that wait for them.

A wake-up never carries an event: the streams read those from the events table
(myblog.services.events), so a lost wake-up only delays what it announced until the next one
or the next poll of the database. Two implementations behind one interface:

- `InProcessBus`, the default: a commit wakes this process's streams at once; events committed
  by other processes (`flask publish-due`, `flask mail-worker`) are found by the hub's poll.
- `RedisBus`, with REDIS_URL: one PUBLISH per commit that recorded events, and one subscriber
  thread per serving process, so every node hears every commit. While Redis is down or hung,
  publishing is skipped for a few seconds after each failure (a commit never waits on it more
  than MYBLOG_REDIS_TIMEOUT) and the hub polls the database instead; each outage is logged once.

Services never see the bus: `record` notes new ids on the session, and the commit hook here
publishes them after the commit.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from myblog.extensions import db
from myblog.services.events import NEW_EVENTS

EXTENSION_KEY = "myblog.live_bus"
CHANNEL = "myblog:live"
# after a failed PUBLISH, commits skip Redis this long (the streams poll meanwhile)
PUBLISH_PAUSE_SECONDS = 5.0
# the subscriber pings Redis after this much silence, and tries again this long after a failure
LISTEN_PING_SECONDS = 5.0
LISTEN_RETRY_SECONDS = 1.0

Wake = Callable[[int | None], None]  # None: "something may have changed: look"
log = logging.getLogger("myblog.live")


class Bus(Protocol):
    """What the commit hook and the hub need of a bus."""

    name: str

    @property
    def connected(self) -> bool:
        """True while wake-ups from every process reach this one (the hub then polls rarely)."""
        ...

    def publish(self, latest: int) -> None:
        """Announce events up to `latest`; never raises, never blocks for long."""

    def subscribe(self, wake: Wake) -> Callable[[], None]:
        """Call `wake` for every announcement from now on (from another thread, maybe); returns
        the function that stops it."""
        ...


class InProcessBus:
    """Wake-ups inside this process only."""

    name = "in-process"
    connected = False  # other processes' commits are not heard: the hub polls for them

    def __init__(self) -> None:
        self._listeners: list[Wake] = []

    def publish(self, latest: int) -> None:
        for wake in list(self._listeners):
            wake(latest)

    def subscribe(self, wake: Wake) -> Callable[[], None]:
        self._listeners.append(wake)
        return lambda: self._listeners.remove(wake)


class RedisBus:
    """Wake-ups through Redis pub/sub, shared by every process and node."""

    name = "redis"

    def __init__(self, url: str, *, timeout: float, poll_seconds: float) -> None:
        from redis import Redis

        self.url, self.timeout, self.poll_seconds = url, timeout, poll_seconds
        self.client = Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        self._paused_until = 0.0
        self._down = False
        self._listening = False
        self._lock = threading.Lock()

    @property
    def connected(self) -> bool:
        return self._listening

    def publish(self, latest: int) -> None:
        if time.monotonic() < self._paused_until:
            return
        try:
            self.client.publish(CHANNEL, str(latest))
        except Exception as exc:  # any Redis or socket failure: the pollers find the events
            self._paused_until = time.monotonic() + PUBLISH_PAUSE_SECONDS
            self._went_down(exc)
            return
        if self._down:
            self._came_back()

    def subscribe(self, wake: Wake) -> Callable[[], None]:
        stop = threading.Event()
        thread = threading.Thread(
            target=self._listen_forever, args=(wake, stop), name="myblog-live-bus", daemon=True
        )
        thread.start()
        return stop.set

    def _went_down(self, exc: BaseException) -> None:
        with self._lock:
            first, self._down = not self._down, True
        if first:
            log.warning(
                "live: Redis pub/sub unreachable (%s: %s); the live streams poll the database "
                "every %s s until it answers again",
                type(exc).__name__,
                exc,
                self.poll_seconds,
            )

    def _came_back(self) -> None:
        with self._lock:
            was_down, self._down = self._down, False
        self._paused_until = 0.0
        if was_down:
            log.warning("live: Redis pub/sub answers again; wake-ups are back")

    def _listen_forever(self, wake: Wake, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self._listen(wake, stop)
            except Exception as exc:  # down, hung, or a garbled message: try again shortly
                self._listening = False
                self._went_down(exc)
                wake(None)  # the hub switches to polling now, not at its next slow poll
                stop.wait(LISTEN_RETRY_SECONDS)
        self._listening = False

    def _listen(self, wake: Wake, stop: threading.Event) -> None:
        from redis import Redis

        client = Redis.from_url(
            self.url, socket_connect_timeout=self.timeout, socket_timeout=self.timeout
        )
        pubsub = client.pubsub()
        try:
            pubsub.subscribe(CHANNEL)
            _expect_reply(pubsub, self.timeout, "subscribe")
            self._listening = True
            self._came_back()
            wake(None)  # catch up with whatever was committed while nobody listened
            self._pump(pubsub, wake, stop)
        finally:
            self._listening = False
            pubsub.close()
            client.close()

    def _pump(self, pubsub: Any, wake: Wake, stop: threading.Event) -> None:
        heard = time.monotonic()
        pinged: float | None = None
        while not stop.is_set():
            message = pubsub.get_message(timeout=0.5)
            now = time.monotonic()
            if message is not None:
                heard, pinged = now, None
                if message.get("type") == "message":
                    wake(int(message["data"]))
            elif pinged is not None and now - pinged > self.timeout + 1:
                raise ConnectionError("Redis stopped answering the subscriber's ping")
            elif pinged is None and now - heard > LISTEN_PING_SECONDS:
                pubsub.ping()
                pinged = now


def _expect_reply(pubsub: Any, timeout: float, kind: str) -> None:
    deadline = time.monotonic() + timeout + 1
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.2)
        if message is not None and message.get("type") == kind:
            return
    raise ConnectionError(f"Redis did not confirm the {kind}")


def make_bus(app: Flask) -> Bus:
    """Redis pub/sub with REDIS_URL, else in-process."""
    url = app.config.get("REDIS_URL")
    if url:
        return RedisBus(
            url,
            timeout=app.config.get("MYBLOG_REDIS_TIMEOUT", 0.25),
            poll_seconds=app.config["MYBLOG_LIVE_DB_POLL_SECONDS"],
        )
    return InProcessBus()


def get_bus(app: Flask) -> Bus:
    """The app's bus (made by `init_app`)."""
    bus: Bus = app.extensions[EXTENSION_KEY]
    return bus


# --- the session hook: a commit that recorded events wakes the streams ------------------------


def _publish_after_commit(session: Session) -> None:
    # a savepoint's release also fires after_commit; only the outer commit makes rows visible
    if session.in_nested_transaction():
        return
    ids = session.info.pop(NEW_EVENTS, None)
    if ids and has_app_context():
        bus = current_app.extensions.get(EXTENSION_KEY)
        if bus is not None:
            bus.publish(max(ids))


def _forget_after_rollback(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(NEW_EVENTS, None)


def install_session_hooks() -> None:
    """Listen on db.session (once per process)."""
    for name, listener in (
        ("after_commit", _publish_after_commit),
        ("after_rollback", _forget_after_rollback),
    ):
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)
