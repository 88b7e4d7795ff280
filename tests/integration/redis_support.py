"""Redis servers of a test's own: a real `redis-server` on a free port that can be stopped and
started again on it, and a socket that accepts connections and never answers (a hung Redis).
The fixtures `redis_server` and `hung_redis` (tests/integration/conftest.py) give one per test."""

from __future__ import annotations

import socket
import subprocess
import threading

import redis
from live_support import wait_for
from test_smtp_delivery import free_port


class RedisServer:
    """A redis-server process of the test's own, on a port that stays the same across restarts."""

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.client = redis.Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.executable, "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.answers, 10, "redis-server to answer")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def answers(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False

    def keys(self, pattern: str) -> list[str]:
        return [key.decode() for key in self.client.scan_iter(pattern)]


class HungRedis:
    """Accepts connections and never answers: a Redis that hangs."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.1)
        self.url = f"redis://127.0.0.1:{self.server.getsockname()[1]}/0"
        self.accepted: list[socket.socket] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                self.accepted.append(self.server.accept()[0])
            except TimeoutError:
                continue

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(5)
        for conn in self.accepted:
            conn.close()
        self.server.close()
