"""`flask rq-worker`: an rq worker on the mail queue that outlives Redis outages.

rq's own loop quits on some Redis errors (Redis lost while a job runs, or gone when the worker
starts) and retries others every second or two while it waits for jobs, logging each try and
running nothing meanwhile. Here the worker leaves rq's loop at the first lost heartbeat, logs the
outage once, checks Redis again with a backoff of up to 30 s, and goes back to the queue
when it answers. The ticker thread keeps mail moving in the meantime: when it cannot queue its
periodic pass through Redis, it runs the pass itself, from the database.

rq and redis are imported on first use, like in myblog.delivery.rq_sender.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from flask import Flask

from myblog.delivery import passes
from myblog.delivery.rq_sender import MailQueue, get_mail_queue
from myblog.delivery.stopping import stop_on_signals
from myblog.extensions import db

if TYPE_CHECKING:
    from rq import Queue, SimpleWorker
    from rq.job import Job

# how long a worker waits at most between two checks of an unreachable Redis
MAX_REDIS_WAIT_SECONDS = 30
# the worker's own Redis connection: rq sets its read timeout (above its blocking wait for jobs)
WORKER_CONNECT_TIMEOUT = 5.0


class RedisLost(Exception):
    """Redis stopped answering the worker; raised to leave rq's loop."""


@functools.cache
def worker_class() -> Callable[..., SimpleWorker]:
    """The worker class, made on first use (it subclasses rq's SimpleWorker)."""
    from rq import SimpleWorker
    from rq.exceptions import StopRequested

    class MailWorker(SimpleWorker):
        """Runs each job in this process inside a fresh app context of the one app it was given:
        every job shares the app's engine and connection pool, and nothing forks."""

        def __init__(self, *args: Any, app: Flask, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.app = app
            self.stopping = False

        def execute_job(self, job: Job, queue: Queue) -> None:
            with self.app.app_context():
                super().execute_job(job, queue)

        def handle_warm_shutdown_request(self) -> None:
            self.stopping = True  # SIGTERM or Ctrl+C, noted before rq asks Redis anything
            super().handle_warm_shutdown_request()

        def teardown(self) -> None:
            # rq stops its pubsub thread only if Redis answers the goodbye; else it would stay,
            # logging an error every 2 s until Redis is back
            try:
                super().teardown()
            finally:
                _stop_pubsub_thread(self)

        def heartbeat(self, *args: Any, **kwargs: Any) -> None:
            # called before every wait for a job: the way out of rq's loop
            if self.stopping:
                raise StopRequested()
            with _redis_lost_raises():
                super().heartbeat(*args, **kwargs)

    return MailWorker


@contextlib.contextmanager
def _redis_lost_raises() -> Iterator[None]:
    # rq retries these itself inside its wait for jobs; RedisLost it does not catch there
    from redis.exceptions import ConnectionError as Unreachable
    from redis.exceptions import TimeoutError as Unanswered

    try:
        yield
    except (Unreachable, Unanswered) as exc:
        raise RedisLost(str(exc)) from exc


def _stop_pubsub_thread(worker: SimpleWorker) -> None:
    thread = getattr(worker, "pubsub_thread", None)
    if thread is not None:
        thread.stop()


def make_worker(app: Flask, *, name: str | None = None) -> SimpleWorker:
    """A worker on the app's mail queue, with a Redis connection of its own (rq sets its
    read timeout to suit a blocking wait for jobs)."""
    from redis import Redis

    connection = Redis.from_url(
        app.config["REDIS_URL"], socket_connect_timeout=WORKER_CONNECT_TIMEOUT
    )
    return worker_class()([get_mail_queue(app).name], connection=connection, name=name, app=app)


class Ticker:
    """A daemon thread that every interval queues a pass through Redis (`MailQueue.tick`), or,
    while Redis cannot be reached, runs the pass itself."""

    def __init__(self, app: Flask, mail_queue: MailQueue) -> None:
        self.app = app
        self.mail_queue = mail_queue
        self.redis_down = False
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="myblog-mail-tick", daemon=True)

    def _run(self) -> None:
        while not self.stop_event.wait(self.mail_queue.interval):
            self.tick()

    def tick(self) -> None:
        """One periodic wake-up: through Redis, or a pass of its own when Redis fails."""
        try:
            self.mail_queue.tick()
        except Exception as exc:
            if not self.redis_down:
                self.app.logger.warning(
                    "mail worker: cannot queue the periodic pass (%s: %s); running it here, "
                    "from the database, until Redis answers",
                    type(exc).__name__,
                    exc,
                )
            self.redis_down = True
            self.deliver_without_redis()
        else:
            if self.redis_down:
                self.app.logger.info("mail worker: Redis answers again; passes go through it")
            self.redis_down = False

    def deliver_without_redis(self) -> None:
        """Delivery passes in this thread, one after another while they find full batches."""
        with self.app.app_context():
            while not self.stop_event.is_set():
                try:
                    report = passes.periodic_pass(keep_going=lambda: not self.stop_event.is_set())
                except Exception:
                    db.session.rollback()
                    self.app.logger.exception("mail worker: delivery pass failed")
                    return
                if not passes.full_batch(report):
                    return

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float | None = 15) -> None:
        self.stop_event.set()
        if self.thread.is_alive():
            self.thread.join(timeout)


def run_worker(app: Flask, *, burst: bool = False) -> bool:
    """Work the app's mail queue until stopped (or until it is empty, with `burst`, which lets
    a Redis error through). True when it ran jobs.

    Each round first queues one pass, for mail that fell due while no worker ran."""
    mail_queue = get_mail_queue(app)
    if burst:
        mail_queue.wake()
        return bool(make_worker(app).work(burst=True))
    ticker = Ticker(app, mail_queue)
    ticker.start()
    worked = False
    delay = 0.5
    try:
        while True:
            started = time.monotonic()
            ran, stopping = _work_round(app, mail_queue)
            worked = worked or ran
            # a round that ended at once (Redis still flapping, or a fault of rq's own) waits
            # longer before the next, so nothing spins
            delay = 0.5 if time.monotonic() - started > MAX_REDIS_WAIT_SECONDS else delay * 2
            if stopping or not _wait_for_redis(app, mail_queue, min(delay, 30)):
                return worked
    finally:
        ticker.stop()


def _work_round(app: Flask, mail_queue: MailQueue) -> tuple[bool, bool]:
    """rq's loop until it stops or quits: (ran jobs, was asked to stop)."""
    from redis import RedisError

    worker = None
    ran = False
    try:
        worker = make_worker(app)  # rq asks Redis about itself here already
        mail_queue.wake()
        ran = bool(worker.work())
    except (RedisError, RedisLost):
        pass  # rq has logged what happened; the wait below says the rest
    return ran, bool(getattr(worker, "stopping", False))


def _wait_for_redis(app: Flask, mail_queue: MailQueue, delay: float) -> bool:
    """Check Redis with a growing delay until it answers (True) or a signal says stop."""
    app.logger.warning(
        "mail worker: Redis is unreachable; checking it again with a backoff of up to %d s, "
        "and delivering from the database every %s s meanwhile",
        MAX_REDIS_WAIT_SECONDS,
        mail_queue.interval,
    )
    started = time.monotonic()
    with stop_on_signals(threading.Event()) as stop:
        while not stop.wait(delay):
            if _answers(mail_queue):
                waited = time.monotonic() - started
                app.logger.warning("mail worker: Redis is back after %.0f s; on the queue", waited)
                return True
            delay = min(delay * 2, MAX_REDIS_WAIT_SECONDS)
    return False


def _answers(mail_queue: MailQueue) -> bool:
    from redis import RedisError

    try:
        return bool(mail_queue.redis.ping())
    except RedisError:
        return False
