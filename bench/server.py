"""Start and stop gunicorn serving bench.wsgi, and read its workers' memory."""

from __future__ import annotations

import http.client
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench import FLOOR_PATH

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Server:
    """A running gunicorn master and the port it listens on."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def free_port() -> int:
    """A port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(server: Server, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(server.url(FLOOR_PATH), timeout=2) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            time.sleep(0.2)
    tail = server.log.read_text(errors="replace")[-3000:] if server.log.exists() else ""
    raise RuntimeError(f"gunicorn did not come up on port {server.port}:\n{tail}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def gunicorn_command(
    *,
    workers: int,
    threads: int,
    connections: int,
    port: int,
    log: Path,
    app: str = "bench.wsgi:app",
) -> list[str]:
    """The gunicorn command line: gthread workers, each taking at most its share of connections.

    The load keeps its connections open (keep-alive). Without a cap, whichever worker wakes
    first may accept most of them at the start of a run and the other one idles for the whole
    run: that measures a race in accept(), not the pages (it made the same page swing 2-3x
    between runs). `--worker-connections` = connections / workers makes the split even.
    """
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--worker-connections",
        str(max(1, -(-connections // workers))),
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(ROOT),
        "--log-level",
        "warning",
        "--error-logfile",
        str(log),
        app,
    ]


@contextmanager
def gunicorn(
    *,
    env: Mapping[str, str],
    workers: int,
    threads: int,
    connections: int,
    log: Path,
    app: str = "bench.wsgi:app",
) -> Iterator[Server]:
    """Run gunicorn (see gunicorn_command) on a free loopback port for the duration of the block."""
    port = free_port()
    command = gunicorn_command(
        workers=workers, threads=threads, connections=connections, port=port, log=log, app=app
    )
    process = subprocess.Popen(command, env=dict(env), cwd=ROOT)
    server = Server(process=process, port=port, log=log)
    try:
        _wait_until_up(server)
        yield server
    finally:
        _stop(process)


def worker_pids(master: int) -> list[int]:
    """The pids of the gunicorn master's child processes (its workers)."""
    children = Path(f"/proc/{master}/task/{master}/children")
    if children.exists():
        return sorted(int(pid) for pid in children.read_text().split())
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the fields after the parenthesised command name: state, ppid, ...
        if int(stat.rsplit(")", 1)[1].split()[1]) == master:
            pids.append(int(entry.name))
    return sorted(pids)


def rss_mb(pid: int) -> float:
    """A process's resident set size (VmRSS) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far, in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of stat; fields[0] here is field 3 (state)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def workers_cpu_seconds(master: int) -> float:
    """CPU seconds used so far by all the workers of the gunicorn master."""
    return sum(cpu_seconds(pid) for pid in worker_pids(master))


def _cpu_times() -> tuple[int, int]:
    # user nice system idle iowait irq softirq steal (guest time is already within user)
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


@dataclass(frozen=True)
class CpuSample:
    """CPU counters at one instant: the whole machine's, the workers' and our reaped children's."""

    busy_ticks: int
    total_ticks: int
    workers_s: float
    children_s: float


def cpu_sample(master: int) -> CpuSample:
    busy, total = _cpu_times()
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    return CpuSample(
        busy_ticks=busy,
        total_ticks=total,
        workers_s=workers_cpu_seconds(master),
        children_s=reaped.ru_utime + reaped.ru_stime,
    )


def cpu_between(before: CpuSample, after: CpuSample) -> tuple[float, float]:
    """(CPU seconds the workers used, share of the machine's CPU other processes used)."""
    hz = os.sysconf("SC_CLK_TCK")
    server = after.workers_s - before.workers_s
    # the load generator (wrk or the Python pool) has been reaped by now: it is in children_s
    ours = server + after.children_s - before.children_s
    busy = (after.busy_ticks - before.busy_ticks) / hz
    total = (after.total_ticks - before.total_ticks) / hz
    others = max(0.0, busy - ours) / total if total > 0 else 0.0
    return server, others


def machine_busy(seconds: float = 1.0) -> float:
    """The fraction of all CPUs' time spent busy over the next few seconds (0..1)."""
    busy_before, total_before = _cpu_times()
    time.sleep(seconds)
    busy_after, total_after = _cpu_times()
    elapsed = total_after - total_before
    return (busy_after - busy_before) / elapsed if elapsed else 0.0


def workers_rss(master: int) -> dict[int, float]:
    """VmRSS in MiB of each worker of the gunicorn master."""
    return {pid: rss_mb(pid) for pid in worker_pids(master)}


def fetch_status(port: int, path: str) -> int:
    """The HTTP status a GET of the path answers with (redirects are not followed)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


def environment(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment with the bench's settings on top."""
    return {**os.environ, **extra}
