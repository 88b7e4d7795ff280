"""The cache in Redis, falling back to this process's memory while Redis cannot be reached.

`CACHE_TYPE = "myblog.shared_storage.FallbackRedisCache"` when REDIS_URL is set (config.py).
Callers keep using `myblog.extensions.cache`. Every call goes to Redis (whose client gives up
after MYBLOG_REDIS_TIMEOUT); when one fails, the cache logs one warning and serves from a
`SimpleCache` in this process, trying Redis again at most once every `retry_seconds`. The
first call that succeeds there again ends the outage: the keys written or deleted meanwhile
are deleted in Redis (what it still holds of them may predate a change), the local copy is
dropped, and one line says so. The rate limiter does the same by itself (Flask-Limiter's
in-memory fallback, configured in config.py).

Imported only by Flask-Caching, through the setting, so redis is loaded only with a Redis.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import Any

from flask import Flask
from flask_caching.backends.base import BaseCache
from flask_caching.backends.rediscache import RedisCache
from flask_caching.backends.simplecache import SimpleCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# calls that change what a key holds: after an outage Redis must forget those keys
WRITES = {"set", "add", "delete", "inc", "dec"}


class FallbackRedisCache(BaseCache):
    """Flask-Caching backend: Redis while it answers, this process's memory while it does not."""

    retry_seconds = 5.0

    def __init__(self, redis: BaseCache, local: BaseCache, default_timeout: int = 300) -> None:
        super().__init__(default_timeout=default_timeout)
        self.redis = redis
        self.local = local
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._touched: set[str] = set()

    @classmethod
    def factory(
        cls, app: Flask, config: dict[str, Any], args: list[Any], kwargs: dict[str, Any]
    ) -> FallbackRedisCache:
        timeout = kwargs.get("default_timeout", 300)
        redis = RedisCache.factory(app, config, list(args), dict(kwargs))
        return cls(redis, SimpleCache(default_timeout=timeout), default_timeout=timeout)

    @property
    def is_down(self) -> bool:
        """True while this process serves the cache from its own memory."""
        return self._down_since is not None

    # --- the cache's interface: each call through `_call` ------------------------------------

    def get(self, key: str) -> Any:
        return self._call("get", key)

    def has(self, key: str) -> bool:
        return bool(self._call("has", key))

    def set(self, key: str, value: Any, timeout: int | timedelta | None = None) -> Any:
        return self._call("set", key, value, timeout)

    def add(self, key: str, value: Any, timeout: int | timedelta | None = None) -> Any:
        return self._call("add", key, value, timeout)

    def delete(self, key: str) -> Any:
        return self._call("delete", key)

    def inc(self, key: str, delta: int = 1) -> Any:
        return self._call("inc", key, delta)

    def dec(self, key: str, delta: int = 1) -> Any:
        return self._call("dec", key, delta)

    def get_many(self, *keys: str) -> list[Any]:
        return [self.get(key) for key in keys]

    def set_many(
        self, mapping: dict[str, Any], timeout: int | timedelta | None = None
    ) -> list[Any]:
        return [key for key, value in mapping.items() if self.set(key, value, timeout)]

    def delete_many(self, *keys: str) -> list[Any]:
        return [key for key in keys if self.delete(key)]

    def clear(self) -> bool:
        self.local.clear()
        return bool(self._call("clear"))

    # --- the fallback -------------------------------------------------------------------------

    def _call(self, name: str, *args: Any) -> Any:
        if self._redis_due():
            try:
                result = getattr(self.redis, name)(*args)
            except RedisError as exc:
                self._went_down(exc)
            else:
                if self._down_since is not None:
                    self._came_back()
                return result
        if name in WRITES:
            with self._lock:
                self._touched.add(args[0])
        return getattr(self.local, name)(*args)

    def _redis_due(self) -> bool:
        """Whether this call goes to Redis: always while it is up, once per retry while down."""
        if self._down_since is None:
            return True
        with self._lock:
            now = time.monotonic()
            if now < self._retry_at:
                return False
            self._retry_at = now + self.retry_seconds  # the other threads wait for this probe
            return True

    def _went_down(self, exc: Exception) -> None:
        with self._lock:
            now = time.monotonic()
            first = self._down_since is None
            if first:
                self._down_since = now
            self._retry_at = now + self.retry_seconds
        if first:
            logger.warning(
                "cache: Redis unreachable (%s: %s); serving the cache from this process's "
                "memory until Redis answers again",
                type(exc).__name__,
                exc,
            )

    def _came_back(self) -> None:
        with self._lock:
            if self._down_since is None:
                return
            since, self._down_since = self._down_since, None
            touched, self._touched = self._touched, set()
        try:
            for key in touched:
                self.redis.delete(key)
        except RedisError:
            with self._lock:  # still the same outage: try again at the next retry
                self._down_since = self._down_since or since
                self._touched |= touched
                self._retry_at = time.monotonic() + self.retry_seconds
            return
        self.local.clear()
        logger.warning(
            "cache: Redis answers again after %.0f s; the cache is back in it",
            time.monotonic() - since,
        )
