"""Load generators: wrk when it is installed, else a pool of Python keep-alive clients."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench.stats import Measurement, summarise

WRK_MARKER = "BENCH_JSON "

# wrk calls request() for every request (one Lua state per wrk thread) and done() once.
WRK_SCRIPT = """
local paths = {%(paths)s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%(marker)s{"requests": %%d, "duration_us": %%d, "errors": %%d, "bad_status": %%d, '
    .. '"p50_us": %%d, "p99_us": %%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass(frozen=True)
class Target:
    """A page to load: a label for the tables and the paths to rotate through."""

    label: str
    paths: tuple[str, ...]

    @property
    def shown(self) -> str:
        more = len(self.paths) - 1
        return f"{self.paths[0]} (+{more})" if more else self.paths[0]


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_wrk(
    target: Target, *, port: int, seconds: float, concurrency: int, threads: int = 1
) -> Measurement:
    """Load the target with wrk and read its own latency percentiles."""
    script = WRK_SCRIPT % {
        "paths": ", ".join(_lua_string(p) for p in target.paths),
        "marker": WRK_MARKER,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        command = [
            "wrk",
            f"-t{max(1, min(threads, concurrency))}",
            f"-c{concurrency}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            handle.name,
            f"http://127.0.0.1:{port}",
        ]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        Path(handle.name).unlink(missing_ok=True)
    return parse_wrk(target, output)


def parse_wrk(target: Target, output: str) -> Measurement:
    """Read the JSON line our Lua done() printed among wrk's own report."""
    for line in output.splitlines():
        if line.startswith(WRK_MARKER):
            data = json.loads(line[len(WRK_MARKER) :])
            break
    else:
        raise RuntimeError(f"wrk printed no result line:\n{output}")
    return Measurement(
        label=target.label,
        path=target.shown,
        requests=data["requests"],
        errors=data["errors"] + data["bad_status"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
    )


# -- the Python fallback -----------------------------------------------------------------------


def _client_loop(
    port: int, paths: Sequence[str], offset: int, deadline: float, out: list[float], bad: list[int]
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    i = offset
    try:
        while time.perf_counter() < deadline:
            path = paths[i % len(paths)]
            i += 1
            started = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                bad.append(1)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                continue
            out.append(time.perf_counter() - started)
            if response.status >= 400:
                bad.append(1)
    finally:
        conn.close()


def _process_load(
    port: int, paths: Sequence[str], connections: int, first: int, seconds: float
) -> tuple[list[float], int, float]:
    # one process drives several keep-alive connections, one thread each
    started = time.perf_counter()
    deadline = started + seconds
    latencies: list[float] = []
    bad: list[int] = []
    threads = [
        threading.Thread(
            target=_client_loop, args=(port, paths, first + n, deadline, latencies, bad)
        )
        for n in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, len(bad), time.perf_counter() - started


def split_connections(concurrency: int, processes: int) -> list[int]:
    """Spread the connections over the processes as evenly as possible, none left empty."""
    processes = max(1, min(processes, concurrency))
    base, extra = divmod(concurrency, processes)
    return [base + (1 if n < extra else 0) for n in range(processes)]


def run_python(target: Target, *, port: int, seconds: float, concurrency: int) -> Measurement:
    """Load the target from a process pool, so the client does not queue on one GIL."""
    shares = split_connections(concurrency, os.cpu_count() or 1)
    firsts = [sum(shares[:n]) for n in range(len(shares))]
    with ProcessPoolExecutor(max_workers=len(shares)) as pool:
        futures = [
            pool.submit(_process_load, port, target.paths, share, first, seconds)
            for share, first in zip(shares, firsts, strict=True)
        ]
        results = [future.result() for future in futures]
    latencies = [value for part, _, _ in results for value in part]
    errors = sum(bad for _, bad, _ in results)
    elapsed = max(took for _, _, took in results)
    return summarise(target.label, target.shown, latencies, seconds=elapsed, errors=errors)


def run_load(
    target: Target, *, port: int, seconds: float, concurrency: int, use_wrk: bool
) -> Measurement:
    """Load the target for the given time with the chosen generator."""
    if use_wrk:
        return run_wrk(target, port=port, seconds=seconds, concurrency=concurrency)
    return run_python(target, port=port, seconds=seconds, concurrency=concurrency)
