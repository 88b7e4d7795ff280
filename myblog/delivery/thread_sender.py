"""The embedded sender: a daemon thread in the web process that drains the outbox.

When the process exits (gunicorn's worker on SIGTERM ends with sys.exit, so atexit handlers
run while daemon threads still live), the thread is told to stop: it finishes the message in
flight, gives the rest of its batch back, and ends.
"""

from __future__ import annotations

import atexit
import threading
import weakref

from flask import Flask, current_app

from myblog.delivery import passes
from myblog.extensions import db

EXTENSION_KEY = "myblog.mail_sender"
# how long stopping waits for the message in flight: above MYBLOG_MAIL_SEND_TIMEOUT's default,
# below gunicorn's graceful timeout (30 s)
STOP_TIMEOUT = 15
_lock = threading.Lock()


def run_sender_loop(app: Flask, *, interval: float, stop: threading.Event) -> None:
    """Deliver due mail every `interval` seconds until `stop` is set; errors are only logged.
    After a full batch the next pass follows at once."""
    _run_loop(weakref.ref(app), interval=interval, stop=stop)


def _run_loop(app_ref: weakref.ref[Flask], *, interval: float, stop: threading.Event) -> None:
    while not stop.is_set():
        wait = _deliver_pass(app_ref, interval, stop)
        if wait is None:
            return
        if wait:
            stop.wait(wait)


def _deliver_pass(
    app_ref: weakref.ref[Flask], interval: float, stop: threading.Event
) -> float | None:
    """One pass over the outbox; how long to wait before the next (0 after a full batch), or
    None once the app is gone (the thread must not keep it alive)."""
    app = app_ref()
    if app is None:
        return None
    with app.app_context():
        try:
            report = passes.periodic_pass(keep_going=lambda: not stop.is_set())
        except Exception:
            db.session.rollback()
            app.logger.exception("mail sender: delivery pass failed")
            return interval
        if report.claimed:
            app.logger.info(
                "mail sender: %d sent, %d to retry, %d failed, %d given back",
                len(report.sent),
                len(report.retrying),
                len(report.failed),
                len(report.released),
            )
    return 0 if passes.full_batch(report) else interval


class BackgroundSender:
    """A daemon thread running the sender loop; `stop()` ends it after the current pass."""

    def __init__(self, app: Flask, interval: float) -> None:
        self.stop_event = threading.Event()
        self.thread = threading.Thread(
            # a weak reference, so a sender never keeps a discarded app (and its engine) alive
            target=_run_loop,
            args=(weakref.ref(app),),
            kwargs={"interval": interval, "stop": self.stop_event},
            name="myblog-mail-sender",
            daemon=True,
        )

    @property
    def running(self) -> bool:
        return self.thread.is_alive() and not self.stop_event.is_set()

    def stop(self, timeout: float | None = STOP_TIMEOUT) -> None:
        """Stop after the message in flight; the rest of the batch is given back."""
        self.stop_event.set()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join(timeout)


def start_background_sender(app: Flask, interval: float = 5) -> BackgroundSender:
    """Start the app's background sender, unless it is running already; return it."""
    with _lock:
        sender: BackgroundSender | None = app.extensions.get(EXTENSION_KEY)
        if sender is None or not sender.running:
            sender = BackgroundSender(app, interval)
            app.extensions[EXTENSION_KEY] = sender
            sender.thread.start()
            atexit.register(sender.stop)
        return sender


def stop_background_sender(app: Flask) -> None:
    """Stop the app's background sender, if it has one running."""
    with _lock:
        sender: BackgroundSender | None = app.extensions.pop(EXTENSION_KEY, None)
    if sender is not None:
        atexit.unregister(sender.stop)
        sender.stop()


def init_app(app: Flask) -> None:
    """Have the first request start the app's sender thread."""
    # Started by the first request, not here: the reloader's parent process (`flask run --debug`)
    # builds the app but never serves a request, so only the serving child (WERKZEUG_RUN_MAIN=true)
    # or a process without the reloader runs a sender; one-off commands (`flask db upgrade`) never
    # start one; and a pre-forking server (gunicorn --preload) starts it after the fork.
    interval = app.config["MYBLOG_MAIL_INTERVAL"]

    @app.before_request
    def _start_mail_sender() -> None:
        if EXTENSION_KEY not in current_app.extensions:
            start_background_sender(current_app._get_current_object(), interval)  # type: ignore[attr-defined]
