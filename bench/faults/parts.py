"""The moving parts of the fault bench: a database gate, a Redis of its own, an SMTP sink,
gunicorn nodes and an RQ worker, each of which the bench can stop and start again."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller

from bench.server import ROOT, free_port, worker_pids


class TcpGate:
    """A TCP proxy in front of a server. `close()` cuts every open connection and refuses new
    ones, which is what the app sees when that server stops; `open()` lets traffic through."""

    def __init__(self, target_port: int, host: str = "127.0.0.1") -> None:
        self.target = (host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.is_open = True
        self._pairs: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, name="tcp-gate", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.is_open:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
            with self._lock:
                self._pairs.discard(sock)

    def close(self) -> None:
        self.is_open = False
        with self._lock:
            pairs = list(self._pairs)
        for sock in pairs:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def open(self) -> None:
        self.is_open = True


class RedisServer:
    """A redis-server process of the bench's own, on a free port, stopped and started at will."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", str(self.workdir)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@dataclass
class SmtpSink:
    """An SMTP server that accepts everything and counts each Message-ID it receives."""

    received: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    controller: Controller | None = None

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)  # type: ignore[attr-defined]
        with self.lock:
            self.received[str(message["Message-ID"])] += 1
        return "250 OK"

    def start(self) -> int:
        port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=port)
        self.controller.start()
        return port

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()

    def counts(self) -> Counter[str]:
        with self.lock:
            return Counter(self.received)


@dataclass
class Process:
    """A subprocess of the bench (a gunicorn node or the RQ worker) with its log file."""

    command: list[str]
    env: Mapping[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command, env=dict(self.env), cwd=ROOT, stdout=out, stderr=out
            )

    def kill(self) -> None:
        """SIGKILL: a crash, with no chance to clean up."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid


def gunicorn_node(env: Mapping[str, str], *, workers: int, threads: int, log: Path) -> Process:
    """A production node: gunicorn serving myblog.wsgi on a free port (see `.port`)."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers)]
    command += ["--worker-class", "gthread", "--threads", str(threads)]
    command += ["--bind", f"127.0.0.1:{port}", "--graceful-timeout", "10", "myblog.wsgi:app"]
    node = Process(command=command, env=env, log=log)
    node.port = port  # type: ignore[attr-defined]
    return node


def rq_worker(env: Mapping[str, str], log: Path) -> Process:
    """`flask rq-worker`, the process that delivers mail when the blog is scaled out."""
    return Process(command=[sys.executable, "-m", "flask", "rq-worker"], env=env, log=log)


def kill_one_worker(node: Process) -> int | None:
    """SIGKILL one worker of a gunicorn node (its master starts another); returns its pid."""
    pids = worker_pids(node.pid)
    if not pids:
        return None
    with contextlib.suppress(ProcessLookupError):
        os.kill(pids[0], signal.SIGKILL)
    return pids[0]
