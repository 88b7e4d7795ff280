"""/api/health names what this node cannot reach: Redis (when REDIS_URL is set) going down,
hanging and coming back, each answered within MYBLOG_HEALTH_TIMEOUT.

The Redis is the test's own `redis-server` on a free port, stopped and started again on that
port; the shared Redis is never touched.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from support import need_service

pytestmark = [pytest.mark.redis, pytest.mark.faults]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def wait_until(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


class OwnRedis:
    """A redis-server of this test's own, on a port that stays the same across restarts."""

    def __init__(self, folder) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: answers(self.port))

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def own_redis(tmp_path) -> Iterator[OwnRedis]:
    need_service("redis-server", shutil.which("redis-server") is not None, "not installed")
    server = OwnRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def health(client) -> tuple[int, dict, float]:
    started = time.monotonic()
    response = client.get("/api/health")
    return response.status_code, response.get_json(), time.monotonic() - started


def test_health_reports_redis_down_and_back_without_a_restart(make_app, own_redis):
    app = make_app(REDIS_URL=f"redis://127.0.0.1:{own_redis.port}/0", MYBLOG_HEALTH_TIMEOUT=1)
    client = app.test_client()
    code, body, _ = health(client)
    assert (code, body) == (200, {"status": "ok", "checks": {"database": "ok", "redis": "ok"}})

    own_redis.stop()
    code, body, took = health(client)
    # the node still serves from its own memory: degraded, not out of rotation
    assert (code, body) == (
        200,
        {
            "status": "degraded",
            "failed": ["redis"],
            "checks": {"database": "ok", "redis": "unavailable"},
        },
    )
    assert took < 1.0, "a refused connection is known at once"

    own_redis.start()
    # the first poll after the restart already answers: the dead pooled connection is retried
    code, body, _ = health(client)
    assert (code, body["checks"]) == (200, {"database": "ok", "redis": "ok"})


def test_health_gives_up_on_a_redis_that_never_answers(make_app):
    with socket.socket() as hung:  # accepts connections (the kernel does) and never replies
        hung.bind(("127.0.0.1", 0))
        hung.listen(16)
        port = hung.getsockname()[1]
        app = make_app(REDIS_URL=f"redis://127.0.0.1:{port}/0", MYBLOG_HEALTH_TIMEOUT=1)
        code, body, took = health(app.test_client())
    assert (code, body["status"], body["failed"]) == (200, "degraded", ["redis"])
    assert 0.2 < took < 1.0, took  # no longer than a page waits for Redis (MYBLOG_REDIS_TIMEOUT)
