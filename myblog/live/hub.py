"""This process's view of the live events: the newest id, the latest events in memory, and the
condition every stream of the process waits on.

One thread per process reads new events from the database when the bus wakes it, or when a
poll is due (every MYBLOG_LIVE_DB_POLL_SECONDS without a working Redis, every
SAFETY_POLL_SECONDS with one): one query per wake-up, however many streams wait. It keeps the
latest RING_SIZE events, so a stream that is up to date reads from memory; one that fell
further behind reads from the database. Streams hold no database connection while they wait.
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
import weakref
from collections.abc import Callable

from flask import Flask

from myblog.extensions import db
from myblog.live.bus import Bus, get_bus
from myblog.services import events
from myblog.services.events import EventView

EXTENSION_KEY = "myblog.live_hub"
RING_SIZE = 512
FETCH_BATCH = 500
# with Redis up, wake-ups come from every process; the poll only covers a lost one
SAFETY_POLL_SECONDS = 30.0
log = logging.getLogger("myblog.live")
_lock = threading.Lock()


class Hub:
    """The newest events of the log, shared by the streams of one process."""

    def __init__(self, app: Flask, bus: Bus, *, poll_seconds: float) -> None:
        self._app = weakref.ref(app)  # the thread must not keep a discarded app alive
        self.bus = bus
        self.poll_seconds = poll_seconds
        self.cond = threading.Condition()
        self.latest: int | None = None  # None until the first read of the log
        # every event above `floor`, up to `latest`, is in `ring` (oldest first)
        self.floor = 0
        self.ring: list[EventView] = []
        self.closing = False
        self._wanted = threading.Event()
        self._failing = False
        self._unsubscribe: Callable[[], None] = lambda: None
        self.thread = threading.Thread(target=self._run, name="myblog-live-hub", daemon=True)

    def start(self) -> None:
        self.thread.start()
        self._unsubscribe = self.bus.subscribe(self.wake)

    def wake(self, latest: int | None) -> None:
        """The bus says there are events up to `latest` (None: maybe; look)."""
        known = self.latest
        if latest is None or known is None or latest > known:
            self._wanted.set()

    def close(self) -> None:
        """End the thread and release every waiting stream (the process is stopping)."""
        with self.cond:
            self.closing = True
            self.cond.notify_all()
        self._wanted.set()
        self._unsubscribe()

    # -- what the streams call --------------------------------------------------------------

    def read(self, cursor: int) -> list[EventView] | None:
        """The events after `cursor` held in memory, or None when memory does not reach back
        that far (or the log was not read yet): read the database then."""
        with self.cond:
            if self.latest is None or cursor < self.floor:
                return None
            start = bisect.bisect_right(self.ring, cursor, key=lambda e: e.id)
            return self.ring[start:]

    def wait(self, cursor: int, timeout: float) -> None:
        """Return when an event above `cursor` is known, the hub closes, or after `timeout`."""
        with self.cond:
            self.cond.wait_for(
                lambda: self.closing or (self.latest is not None and self.latest > cursor),
                timeout,
            )

    # -- the thread -------------------------------------------------------------------------

    def _interval(self) -> float:
        return SAFETY_POLL_SECONDS if self.bus.connected else self.poll_seconds

    def _run(self) -> None:
        while not self.closing:
            app = self._app()
            if app is None:
                return
            self._wanted.clear()  # a wake-up during the read below makes the next one follow
            self._fetch(app)
            del app
            self._wanted.wait(self._interval())

    def _fetch(self, app: Flask) -> None:
        try:
            with app.app_context():
                try:
                    found = self._read_new()
                finally:
                    db.session.remove()
        except Exception as exc:  # the database is away: the streams wait, nothing is lost
            if not self._failing:
                log.warning("live: cannot read new events (%s: %s)", type(exc).__name__, exc)
            self._failing = True
            return
        self._failing = False
        self._add(found)

    def _read_new(self) -> list[EventView]:
        if self.latest is None:
            self.floor = events.latest_id()
            with self.cond:
                self.latest = self.floor
                self.cond.notify_all()
            return []
        found: list[EventView] = []
        while True:
            batch = events.events_after((found[-1].id if found else self.latest), limit=FETCH_BATCH)
            found += batch
            if len(batch) < FETCH_BATCH:
                return found

    def _add(self, found: list[EventView]) -> None:
        if not found:
            return
        with self.cond:
            self.ring += found
            if len(self.ring) > 2 * RING_SIZE:
                dropped = len(self.ring) - RING_SIZE
                self.floor = self.ring[dropped - 1].id
                del self.ring[:dropped]
            self.latest = found[-1].id
            self.cond.notify_all()


def get_hub(app: Flask) -> Hub:
    """The app's hub in this process, started on first use (by the first stream)."""
    hub: Hub | None = app.extensions.get(EXTENSION_KEY)
    if hub is not None and not hub.closing:
        return hub
    with _lock:
        hub = app.extensions.get(EXTENSION_KEY)
        if hub is None or hub.closing:
            hub = Hub(app, get_bus(app), poll_seconds=app.config["MYBLOG_LIVE_DB_POLL_SECONDS"])
            app.extensions[EXTENSION_KEY] = hub
            hub.start()
    return hub


def close_hub(app: Flask) -> None:
    """Close the app's hub, if it has one: its streams end and browsers reconnect elsewhere."""
    hub: Hub | None = app.extensions.pop(EXTENSION_KEY, None)
    if hub is not None:
        hub.close()


def wait_until_ready(hub: Hub, timeout: float) -> bool:
    """Wait for the hub's first read of the log (tests, benchmarks)."""
    deadline = time.monotonic() + timeout
    with hub.cond:
        return hub.cond.wait_for(
            lambda: hub.latest is not None, max(0.0, deadline - time.monotonic())
        )
