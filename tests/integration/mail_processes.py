"""Helpers for the mail fault tests: an SMTP sink that counts Message-IDs, `flask` and gunicorn
processes of the blog, and waiting for a condition with a deadline."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def wait_until(condition: Callable[[], bool], seconds: float, step: float = 0.05) -> bool:
    """Poll `condition` until it holds (True) or `seconds` pass (False)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(step)
    return True


class CountingSink:
    """An aiosmtpd handler that accepts every message after `delay` seconds, counts them by
    Message-ID, and calls `after(n)` once the n-th message has been accepted."""

    def __init__(self, delay: float = 0.0, after: Callable[[int], None] | None = None) -> None:
        self.delay = delay
        self.after = after
        self.ids: Counter[str] = Counter()
        self.total = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.ids[str(message["Message-ID"])] += 1
        self.total += 1
        if self.after is not None:
            self.after(self.total)
        return "250 Message accepted"

    def duplicates(self) -> int:
        return sum(count - 1 for count in self.ids.values())


def blog_env(database_url: str, smtp_port: int, folder: Path, **settings: str) -> dict[str, str]:
    """The environment of a blog process (production config) on this database and SMTP port."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MYBLOG_", "MAIL_", "REDIS_", "DATABASE_", "FLASK_"))
    }
    env.update(
        FLASK_APP="myblog",
        MYBLOG_CONFIG="production",
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=database_url,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp_port),
        MAIL_DEFAULT_SENDER="blog@example.com",
        MYBLOG_UPLOAD_DIR=str(folder / "uploads"),
        MYBLOG_MAIL_SENDER="off",
        MYBLOG_MAIL_INTERVAL="1",
    )
    env.update(settings)
    return env


class BlogProcess:
    """A `flask …` or gunicorn process of the blog, its output in a file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.output = log.open("w")
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", *args],
            cwd=ROOT,
            env=env,
            stdout=self.output,
            stderr=subprocess.STDOUT,
        )

    @classmethod
    def flask(cls, command: str, env: dict[str, str], log: Path) -> BlogProcess:
        return cls(["flask", command], env, log)

    def text(self) -> str:
        return self.log.read_text()

    def alive(self) -> bool:
        return self.process.poll() is None

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait(self, seconds: float) -> int:
        return self.process.wait(seconds)

    def stop(self) -> None:
        """Kill it if it still runs, and close its log."""
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.output.close()
