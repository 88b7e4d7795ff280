"""Helpers for the two-node test: the blog as it is deployed on several nodes (gunicorn with the
shipped gunicorn.conf.py serving myblog.wsgi:app, one RQ worker), on one PostgreSQL database and
one Redis, and a small HTTP client that signs in and keeps its cookies across nodes.

Every process is started in a session of its own and killed with its whole process group (the
gunicorn master and its workers) when the cluster stops, whatever happened in the test.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[2]
_CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str


@dataclass
class Browser:
    """One visitor: cookies kept by name, sent to every node (the nodes share SECRET_KEY, so a
    session made on one is valid on another). The production config marks its cookies Secure;
    this client sends them over plain HTTP to the loopback nodes anyway."""

    cookies: dict[str, str] = field(default_factory=dict)
    timeout: float = 30.0

    def request(
        self, method: str, url: str, form: dict[str, str | list[str]] | None = None
    ) -> Reply:
        parts = urlsplit(url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.timeout)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    self._keep(value)
            return Reply(response.status, dict(response.getheaders()), response.read().decode())
        finally:
            conn.close()

    def _keep(self, header: str) -> None:
        pair, _, attributes = header.partition(";")
        name, _, value = pair.strip().partition("=")
        expired = re.search(r"(?i)max-age=0\b|expires=[^;]*19[0-9]{2}", attributes)
        if expired or not value:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value

    def get(self, url: str) -> Reply:
        return self.request("GET", url)

    def submit(self, url: str, data: dict[str, str | list[str]], *, token_from: str) -> Reply:
        """POST a form with the CSRF token of the form at `token_from` (any node)."""
        page = self.get(token_from).text
        found = _CSRF.search(page)
        assert found, f"no CSRF token at {token_from}"
        token = found.group(1) or found.group(2)
        return self.request("POST", url, {"csrf_token": token, **data})


class NodeProcess:
    """A process of the blog (gunicorn, `flask rq-worker`) in a session of its own, its output
    in a file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.output = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", *args],
            cwd=ROOT,
            env=env,
            stdout=self.output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the workers are killed with it
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        """SIGTERM to the group, then SIGKILL whatever is left after a few seconds."""
        group = self.process.pid  # the session leader's pid is its group's id
        for signum, patience in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
            try:
                os.killpg(group, signum)
            except ProcessLookupError:
                break
            try:
                self.process.wait(patience)
            except subprocess.TimeoutExpired:
                continue
            if signum == signal.SIGTERM:
                with contextlib.suppress(ProcessLookupError):  # a worker outliving its master
                    os.killpg(group, signal.SIGKILL)
            break
        self.output.close()


def gunicorn_node(port: int, env: dict[str, str], log: Path) -> NodeProcess:
    """gunicorn as deployed: the repository's gunicorn.conf.py (gevent workers), myblog.wsgi."""
    args = ["gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "-b", f"127.0.0.1:{port}"]
    return NodeProcess([*args, "myblog.wsgi:app"], env, log)


def rq_worker(env: dict[str, str], log: Path) -> NodeProcess:
    return NodeProcess(["flask", "rq-worker"], env, log)


def wait_until_up(node: NodeProcess, url: str, seconds: float = 60.0) -> None:
    """Wait until the node answers /api/health with 200; fail with its log otherwise."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not node.alive():
            break
        try:
            if Browser(timeout=2).get(f"{url}/api/health").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not come up:\n{node.text()[-3000:]}")
