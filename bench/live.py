"""Live streams on one node: N idle SSE subscribers on a post page while the home page is
loaded, served by gunicorn with the repository's gunicorn.conf.py.

    uv run python -m bench.live                         # 1,000 subscribers, gevent
    uv run python -m bench.live --subscribers 100 --duration 3     # a quick check
    uv run python -m bench.live --worker-class gthread --subscribers 200   # the comparison

Measures: home req/s without and with the subscribers (target: with ≥ 80 % of without); the
delivery latency of an approved comment to every subscriber, from the moment the writer's POST
leaves to the moment the event reaches each subscriber (target: p99 < 1 s); RSS per subscriber
(the worker's resident memory with them, less without, over N). One worker, as one node.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.dataset import forge
from bench.loadgen import Target, run_load, wrk_available
from bench.server import (
    ROOT,
    Server,
    _stop,
    _wait_until_up,
    cpu_between,
    cpu_sample,
    free_port,
    workers_rss,
)
from bench.stats import percentile
from bench.subscribers import Subscribers

MIN_KEPT_SHARE = 0.80  # home req/s with the subscribers over without
MAX_P99_DELIVERY_S = 1.0
OWNER_PASSWORD = "bench-owner-password"  # bench.dataset.forge sets the owner up with it


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.live", description=__doc__)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of load on /")
    parser.add_argument("--concurrency", type=int, default=8, help="connections loading /")
    parser.add_argument("--comments", type=int, default=5, help="comments whose delivery is timed")
    parser.add_argument("--worker-class", choices=["gevent", "gthread"], default="gevent")
    parser.add_argument("--threads", type=int, help="gthread: threads (default N + 16)")
    parser.add_argument("--output", type=Path, default=ROOT / "bench/results/live.json")
    return parser.parse_args(argv)


def start_server(args: argparse.Namespace, env: dict[str, str], log: Path) -> Server:
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")]
    command += ["--workers", "1", "--worker-class", args.worker_class]
    command += ["--worker-connections", str(args.subscribers + 200)]
    if args.worker_class == "gthread":
        command += ["--threads", str(args.threads or args.subscribers + 16)]
    command += ["--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT)]
    command += ["--log-level", "warning", "--error-logfile", str(log), "bench.wsgi:app"]
    server = Server(process=subprocess.Popen(command, env=env, cwd=ROOT), port=port, log=log)
    _wait_until_up(server)
    return server


class Writer:
    """The blog's owner, signed in over HTTP, commenting (a writer's comment is approved)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str = "") -> tuple[int, str, dict[str, str]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        text = response.read().decode(errors="replace")
        conn.close()
        return response.status, text, dict(response.getheaders())

    def _form(self, path: str) -> dict[str, str]:
        _, page, _ = self.request("GET", path)
        return dict(re.findall(r'name="(csrf_token|started)"[^>]*value="([^"]*)"', page))

    def log_in(self) -> None:
        from urllib.parse import urlencode

        token = self._form("/auth/login")["csrf_token"]
        body = urlencode({"csrf_token": token, "login": "owner", "password": OWNER_PASSWORD})
        status, _, _ = self.request("POST", "/auth/login", body)
        if status != 302:
            raise RuntimeError(f"the bench could not sign in ({status})")

    def comment(self, slug: str, text: str) -> float:
        """Post a comment; returns the monotonic time the POST left."""
        from urllib.parse import urlencode

        fields = self._form(f"/post/{slug}")
        body = urlencode({**fields, "body": text})
        sent = time.monotonic()
        status, _, _ = self.request("POST", f"/post/{slug}/comments", body)
        if status != 302:
            raise RuntimeError(f"the comment was refused ({status})")
        return sent


def time_deliveries(port: int, slug: str, crowd: Subscribers, count: int) -> dict[str, Any]:
    writer = Writer(port)
    writer.log_in()
    latencies: list[float] = []
    lost = 0
    for n in range(count):
        known = set(crowd.arrivals)
        sent = writer.comment(slug, f"Bench comment {n}")
        deadline = time.monotonic() + 10
        new: set[int] = set()
        while time.monotonic() < deadline:
            new = set(crowd.arrivals) - known
            if new and crowd.reached(max(new)) >= crowd.ready:
                break
            time.sleep(0.01)
        arrived = crowd.arrivals.get(max(new), []) if new else []
        latencies += [t - sent for t in arrived]
        lost += crowd.ready - len(arrived)
        time.sleep(0.3)
    return {
        "comments": count,
        "deliveries": len(latencies),
        "lost": lost,
        "p50_s": round(percentile(latencies, 50), 3) if latencies else None,
        "p99_s": round(percentile(latencies, 99), 3) if latencies else None,
    }


def load_home(server: Server, args: argparse.Namespace) -> tuple[float, float, float]:
    """Load / for the duration: req/s, the worker's CPU ms per request, and the share of the
    machine other processes took meanwhile (high: the req/s of that run are too low)."""
    before = cpu_sample(server.process.pid)
    measured = run_load(
        Target("home", ("/",)),
        port=server.port,
        seconds=args.duration,
        concurrency=args.concurrency,
        use_wrk=wrk_available(),
    )
    cpu, others = cpu_between(before, cpu_sample(server.process.pid))
    return measured.rps, 1000 * cpu / max(measured.requests, 1), others


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    data = forge(f"sqlite:///{workdir / 'live.sqlite'}", args.posts)
    slug = data.post_slugs[0]
    env = {
        **os.environ,
        "DATABASE_URL": data.url,
        "MYBLOG_COMMENT_LIMIT": "10000 per minute",
        "MYBLOG_LOGIN_LIMIT": "1000 per minute",
    }
    server = start_server(args, env, workdir / "gunicorn.log")
    try:
        load_home(server, argparse.Namespace(**{**vars(args), "duration": 2}))  # warm up
        alone = load_home(server, args)
        rss_alone = sum(workers_rss(server.process.pid).values())
        post_id = _post_id(server.port, slug)
        crowd = Subscribers(server.port, f"/live/posts/{post_id}/events", args.subscribers)
        crowd.start()
        rss_crowd = sum(workers_rss(server.process.pid).values())
        with_crowd = load_home(server, args)
        delivery = time_deliveries(server.port, slug, crowd, args.comments)
        still = crowd.ready - crowd.failed
        crowd.close()
    finally:
        _stop(server.process)
    return report(args, alone, with_crowd, delivery, rss_alone, rss_crowd, crowd, still)


def _post_id(port: int, slug: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", f"/post/{slug}")
    page = conn.getresponse().read().decode()
    conn.close()
    found = re.search(r"/live/posts/(\d+)/events", page)
    if found is None:
        raise RuntimeError("the post page has no live stream")
    return int(found.group(1))


def report(
    args: argparse.Namespace,
    alone_run: tuple[float, float, float],
    crowd_run: tuple[float, float, float],
    delivery: dict[str, Any],
    rss_alone: float,
    rss_crowd: float,
    crowd: Subscribers,
    still: int,
) -> dict[str, Any]:
    alone, with_crowd = alone_run[0], crowd_run[0]
    kept = with_crowd / alone if alone else 0.0
    per_subscriber_kb = (rss_crowd - rss_alone) * 1024 / max(crowd.ready, 1)
    p99 = delivery["p99_s"]
    return {
        "worker_class": args.worker_class,
        "subscribers": args.subscribers,
        "connected": crowd.ready,
        "refused": crowd.failed,
        "home_rps_alone": round(alone, 1),
        "home_rps_with_subscribers": round(with_crowd, 1),
        "kept_share": round(kept, 3),
        "cpu_ms_per_request": {"alone": round(alone_run[1], 2), "with": round(crowd_run[1], 2)},
        "others_cpu_share": {"alone": round(alone_run[2], 2), "with": round(crowd_run[2], 2)},
        "delivery": delivery,
        "worker_rss_mb": {"alone": round(rss_alone, 1), "with_subscribers": round(rss_crowd, 1)},
        "rss_per_subscriber_kb": round(per_subscriber_kb, 1),
        "pass": {
            "throughput": kept >= MIN_KEPT_SHARE,
            "delivery_p99": p99 is not None and p99 < MAX_P99_DELIVERY_S and not delivery["lost"],
            "all_connected": crowd.ready == args.subscribers,
        },
        "still_connected_at_end": still,
    }


def show(result: dict[str, Any]) -> None:
    delivery = result["delivery"]
    lines = [
        f"worker class          {result['worker_class']}",
        f"subscribers           {result['connected']} of {result['subscribers']} connected",
        f"home req/s alone      {result['home_rps_alone']}",
        f"home req/s with them  {result['home_rps_with_subscribers']} "
        f"({result['kept_share']:.0%}; target ≥ {MIN_KEPT_SHARE:.0%})",
        f"cpu ms per request    {result['cpu_ms_per_request']['alone']} alone, "
        f"{result['cpu_ms_per_request']['with']} with them (others took "
        f"{result['others_cpu_share']['alone']:.0%} / {result['others_cpu_share']['with']:.0%} "
        "of the machine)",
        f"delivery p50 / p99    {delivery['p50_s']} s / {delivery['p99_s']} s "
        f"(target p99 < {MAX_P99_DELIVERY_S} s; {delivery['lost']} lost)",
        f"worker RSS            {result['worker_rss_mb']['alone']} MB alone, "
        f"{result['worker_rss_mb']['with_subscribers']} MB with them: "
        f"{result['rss_per_subscriber_kb']} KB per subscriber",
        "verdict               "
        + ", ".join(f"{k} {'PASS' if v else 'MISS'}" for k, v in result["pass"].items()),
    ]
    print("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ["SECRET_KEY"] = secrets.token_hex(32)
    with tempfile.TemporaryDirectory(prefix="myblog-bench-live-") as tmp:
        result = run(args, Path(tmp))
    show(result)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
