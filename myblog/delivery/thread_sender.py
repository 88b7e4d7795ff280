"""The embedded sender: a daemon thread in the web process that drains the outbox."""

from __future__ import annotations

import threading
import weakref

from flask import Flask, current_app

from myblog.delivery import passes
from myblog.extensions import db

EXTENSION_KEY = "myblog.mail_sender"
_lock = threading.Lock()


def run_sender_loop(app: Flask, *, interval: float, stop: threading.Event) -> None:
    """Deliver due mail every `interval` seconds until `stop` is set; errors are only logged."""
    _run_loop(weakref.ref(app), interval=interval, stop=stop)


def _run_loop(app_ref: weakref.ref[Flask], *, interval: float, stop: threading.Event) -> None:
    while not stop.is_set() and _deliver_pass(app_ref):
        stop.wait(interval)


def _deliver_pass(app_ref: weakref.ref[Flask]) -> bool:
    """One pass over the outbox; False once the app is gone (the thread must not keep it alive)."""
    app = app_ref()
    if app is None:
        return False
    with app.app_context():
        try:
            report = passes.periodic_pass()
        except Exception:
            db.session.rollback()
            app.logger.exception("mail sender: delivery pass failed")
        else:
            if report.claimed:
                app.logger.info(
                    "mail sender: %d sent, %d to retry, %d failed",
                    len(report.sent),
                    len(report.retrying),
                    len(report.failed),
                )
    return True


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

    def stop(self, timeout: float | None = 10) -> None:
        self.stop_event.set()
        if self.thread.is_alive():
            self.thread.join(timeout)


def start_background_sender(app: Flask, interval: float = 5) -> BackgroundSender:
    """Start the app's background sender, unless it is running already; return it."""
    with _lock:
        sender: BackgroundSender | None = app.extensions.get(EXTENSION_KEY)
        if sender is None or not sender.running:
            sender = BackgroundSender(app, interval)
            app.extensions[EXTENSION_KEY] = sender
            sender.thread.start()
        return sender


def stop_background_sender(app: Flask) -> None:
    """Stop the app's background sender, if it has one running."""
    with _lock:
        sender: BackgroundSender | None = app.extensions.pop(EXTENSION_KEY, None)
    if sender is not None:
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
