"""Whether this node can serve: its database answers; and whether its Redis does, when the
blog uses one. A node without its database cannot serve (unavailable); a node without Redis
still serves, from its own memory (degraded), so a Redis outage shared by every node must not
take them all out of rotation.

Load balancers poll this every few seconds, so each check is one short round trip on a
connection that is normally open already: `SELECT 1` on a pooled database connection (checked
out with its pre-ping), and a Redis PING on a client kept for the process. Every wait is
bounded by MYBLOG_HEALTH_TIMEOUT: Redis by its socket timeouts; the database by waiting for
its probe thread no longer than that, since a server that accepts connections and never
answers would hold a query forever (MYBLOG_DATABASE_TIMEOUT bounds connecting, not waiting
for an answer). Only one probe per database runs at a time, so a hung server holds one thread
and one connection, however often the node is polled.
"""

from __future__ import annotations

import threading
import weakref
from concurrent.futures import Future
from concurrent.futures import TimeoutError as NoAnswer
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import Engine, text

from myblog.extensions import db

if TYPE_CHECKING:
    from redis import Redis

OK = "ok"
UNAVAILABLE = "unavailable"
_PING = text("SELECT 1")
_probes: weakref.WeakKeyDictionary[Engine, Future[None]] = weakref.WeakKeyDictionary()
_probes_lock = threading.Lock()


# what a node cannot serve without; the others only make it degraded
REQUIRED = ("database",)


@dataclass(frozen=True)
class Health:
    """Each dependency's state: "ok" or "unavailable"."""

    checks: dict[str, str]

    @property
    def ok(self) -> bool:
        """The node can serve: everything it needs answers."""
        return all(self.checks.get(name) == OK for name in REQUIRED)

    @property
    def failed(self) -> list[str]:
        return [name for name, state in self.checks.items() if state != OK]

    @property
    def status(self) -> str:
        """ok, degraded (serving without what it can do without) or unavailable."""
        if not self.ok:
            return UNAVAILABLE
        return "degraded" if self.failed else OK


def check_health() -> Health:
    """Check the database, and Redis when REDIS_URL is set."""
    timeout = float(current_app.config["MYBLOG_HEALTH_TIMEOUT"])
    checks = {"database": _database(db.engine, timeout)}
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        # no longer than a page waits for Redis: a hung Redis only makes the node degraded
        redis_timeout = min(timeout, float(current_app.config["MYBLOG_REDIS_TIMEOUT"]))
        checks["redis"] = _redis(redis_url, redis_timeout)
    return Health(checks)


def _database(engine: Engine, timeout: float) -> str:
    with _probes_lock:
        probe = _probes.get(engine)
        if probe is None or probe.done():  # else join the probe still waiting for an answer
            probe = _probes[engine] = Future()
            threading.Thread(target=_ping, args=(engine, probe), daemon=True).start()
    try:
        probe.result(timeout)
    except NoAnswer:
        _log_failure("database", f"no answer within {timeout:g} s")
        return UNAVAILABLE
    except Exception as exc:  # whatever the driver raised: the database cannot serve
        _log_failure("database", exc)
        return UNAVAILABLE
    return OK


def _ping(engine: Engine, probe: Future[None]) -> None:
    try:
        with engine.connect() as connection:
            connection.execute(_PING)
    except Exception as exc:
        probe.set_exception(exc)
    else:
        probe.set_result(None)


def _redis(url: str, timeout: float) -> str:
    from redis import RedisError  # imported on first use: most blogs have no Redis

    try:
        _redis_client(url, timeout).ping()
    except (RedisError, OSError) as exc:
        _log_failure("redis", exc)
        return UNAVAILABLE
    return OK


@lru_cache(maxsize=4)
def _redis_client(url: str, timeout: float) -> Redis:
    from redis import ConnectionError, Redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    # a connection pooled before Redis restarted fails once: retry at once on a new one; a
    # Redis that does not answer within the timeout is not asked twice
    retry = Retry(NoBackoff(), 1, supported_errors=(ConnectionError,))
    return Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout, retry=retry)


def _log_failure(name: str, problem: BaseException | str) -> None:
    detail = str(getattr(problem, "orig", None) or problem).strip().splitlines()[:1]
    current_app.logger.warning("health: %s unavailable: %s", name, "".join(detail))
