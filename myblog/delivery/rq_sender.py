"""Mail through RQ when the blog is scaled out (MYBLOG_MAIL_SENDER=rq).

The outbox table stays the one source of truth: rows are claimed with a lease, retried with
backoff and marked sent or failed exactly as with the other senders. Redis only carries
wake-ups. A commit that adds outbox rows queues one `deliver_mail` job (at most one waits at a
time, however many commits come in); `flask rq-worker` runs those jobs in its own process,
inside its app (myblog.delivery.rq_worker); and every MYBLOG_MAIL_INTERVAL seconds one worker of
the cluster queues a pass for retries and scheduled posts. While Redis is down, the rows wait
in the database and the workers deliver them with passes of their own.

rq and redis are imported on first use (inside the functions that need them), so `flask`
commands and apps with another sender do not load them.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from myblog.delivery import passes
from myblog.extensions import db
from myblog.models import OutboxEmail

if TYPE_CHECKING:
    from redis import Redis
    from rq import Queue

EXTENSION_KEY = "myblog.mail_queue"
# set on a session whose transaction has added outbox rows; read when it commits
INSERTED_FLAG = "myblog.outbox_inserted"
# how long a queued wake-up keeps others from being queued; it also bounds a flag left behind
# when Redis failed between setting it and queueing the job
WAKEUP_SECONDS = 60
# only for a pass that hangs: a pass renews its lease message by message and each send is
# bounded by MYBLOG_MAIL_SEND_TIMEOUT, so a batch of slow sends is no reason to stop it
JOB_TIMEOUT_SECONDS = 900
FAILURE_TTL_SECONDS = 24 * 3600
# waking the worker happens inside a visitor's request: an unreachable or hung Redis must not
# hold it (MYBLOG_REDIS_TIMEOUT, for connecting and for each reply; this is its default)
REDIS_TIMEOUT = 0.25


class MailQueue:
    """The RQ queue for mail, and the two Redis keys that keep its jobs few."""

    def __init__(
        self,
        redis_url: str,
        name: str = "mail",
        interval: float = 5,
        timeout: float = REDIS_TIMEOUT,
    ) -> None:
        from redis import Redis
        from rq import Queue

        self.name = name
        self.interval = interval
        self.redis: Redis = Redis.from_url(
            redis_url,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
        )
        self.queue: Queue = Queue(name, connection=self.redis)
        self.wakeup_key = f"myblog:{name}:wakeup"
        self.tick_key = f"myblog:{name}:tick"

    @classmethod
    def from_app(cls, app: Flask) -> MailQueue:
        redis_url = app.config.get("REDIS_URL")
        if not redis_url:
            raise RuntimeError("the RQ mail queue needs REDIS_URL")
        return cls(
            redis_url,
            name=app.config.get("MYBLOG_MAIL_QUEUE") or "mail",
            interval=app.config["MYBLOG_MAIL_INTERVAL"],
            timeout=app.config.get("MYBLOG_REDIS_TIMEOUT", REDIS_TIMEOUT),
        )

    def wake(self) -> bool:
        """Queue a delivery pass unless one is already waiting; True when this call queued it."""
        if not self.redis.set(self.wakeup_key, 1, nx=True, ex=WAKEUP_SECONDS):
            return False
        try:
            self.queue.enqueue(
                deliver_mail,
                job_timeout=JOB_TIMEOUT_SECONDS,
                result_ttl=0,
                failure_ttl=FAILURE_TTL_SECONDS,
                description="deliver mail",
            )
        except BaseException:
            # no job after all: let the next commit try again instead of waiting for the flag
            with contextlib.suppress(Exception):
                self.redis.delete(self.wakeup_key)
            raise
        return True

    def clear_wakeup(self) -> None:
        """A pass is starting: rows committed from now on need, and so queue, another one."""
        self.redis.delete(self.wakeup_key)

    def tick(self) -> bool:
        """The periodic wake-up; False when another worker has already had this interval's."""
        # a lease a little shorter than the interval: workers whose clocks run in step never
        # both get one, and the worker holding it never finds it still there at its next tick
        lease_ms = max(1, int(self.interval * 900))
        if not self.redis.set(self.tick_key, 1, nx=True, px=lease_ms):
            return False
        self.wake()
        return True


def get_mail_queue(app: Flask) -> MailQueue:
    """The app's mail queue, made on first use."""
    mail_queue: MailQueue | None = app.extensions.get(EXTENSION_KEY)
    if mail_queue is None:
        mail_queue = app.extensions[EXTENSION_KEY] = MailQueue.from_app(app)
    return mail_queue


def notify_worker(app: Flask | None = None) -> bool:
    """Wake a mail worker; never raises. True when a job was queued.

    When Redis cannot be reached this only logs a warning: the rows are committed, and the next
    periodic pass delivers them.
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        return get_mail_queue(app).wake()
    except Exception as exc:
        app.logger.warning(
            "mail queue: could not wake the mail worker (%s: %s); the next periodic pass "
            "delivers the mail",
            type(exc).__name__,
            exc,
        )
        return False


# --- the session hook: a commit that added outbox rows wakes the worker -----------------------


def _note_flushed_rows(session: Session, flush_context: UOWTransaction) -> None:
    # after_flush still shows what the flush inserted in session.new
    if any(isinstance(obj, OutboxEmail) for obj in session.new):
        session.info[INSERTED_FLAG] = True


def _note_bulk_insert(state: ORMExecuteState) -> None:
    # session.execute(insert(OutboxEmail), rows) adds rows without a flush
    if not state.is_insert:
        return
    described = getattr(state.statement, "entity_description", None) or {}
    if described.get("table") is OutboxEmail.__table__:
        state.session.info[INSERTED_FLAG] = True


def _wake_after_commit(session: Session) -> None:
    # a savepoint's release also fires after_commit; only the outer commit makes rows visible
    if session.in_nested_transaction() or not session.info.pop(INSERTED_FLAG, False):
        return
    if has_app_context() and current_app.config.get("MYBLOG_MAIL_SENDER") == "rq":
        notify_worker(current_app._get_current_object())  # type: ignore[attr-defined]


def _forget_after_rollback(session: Session) -> None:
    # a savepoint rolled back may leave rows of the outer transaction: keep the flag then
    if not session.in_nested_transaction():
        session.info.pop(INSERTED_FLAG, None)


_HOOKS = (
    ("after_flush", _note_flushed_rows),
    ("do_orm_execute", _note_bulk_insert),
    ("after_commit", _wake_after_commit),
    ("after_rollback", _forget_after_rollback),
)


def install_session_hooks() -> None:
    """Listen on db.session (once per process); each commit checks its app's sender setting."""
    for name, listener in _HOOKS:
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)


def init_app(app: Flask) -> None:
    """Set up the app's mail queue and make commits that add outbox rows wake the worker."""
    app.extensions[EXTENSION_KEY] = MailQueue.from_app(app)
    install_session_hooks()


# --- the job: one delivery pass in the worker's app -----------------------------------------------


def deliver_mail() -> dict[str, int]:
    """The RQ job: one delivery pass (`periodic_pass`) in the worker's app context."""
    if not has_app_context():
        raise RuntimeError(
            "deliver_mail runs in `flask rq-worker`, which gives each job its app context"
        )
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    mail_queue = get_mail_queue(app)
    mail_queue.clear_wakeup()
    report = passes.periodic_pass()
    if passes.full_batch(report):
        # a full batch: more may be due, so another pass follows on whichever worker is free
        notify_worker(app)
    if report.claimed:
        app.logger.info(
            "mail worker: %d sent, %d to retry, %d failed",
            len(report.sent),
            len(report.retrying),
            len(report.failed),
        )
    return {
        "claimed": report.claimed,
        "sent": len(report.sent),
        "retrying": len(report.retrying),
        "failed": len(report.failed),
    }
