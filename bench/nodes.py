"""Two nodes behind one load generator: the summed req/s of the home page, and how long a post
published through one node takes to show on the other node's home page.

    uv run python -m bench.nodes                       # 1,000 posts, 10 s of load, 8 connections
    uv run python -m bench.nodes --duration 5 --publishes 20 --posts 200     # a quick run
    uv run python -m bench.nodes --postgres-url postgresql://postgres@127.0.0.1:5432/postgres

Two gunicorn nodes as deployed (the repository's gunicorn.conf.py, gevent workers,
myblog.wsgi:app, production config) on one fresh PostgreSQL database of the bench's own
(created on the server of --postgres-url, forged, dropped afterwards) and one redis-server of
its own. The load generator (wrk when installed, else the Python pool) loads `/` on one node
alone, then on both at once with half the connections each; the req/s of both are summed.
Then the owner, signed in on node A, publishes --publishes posts one after the other; for each,
the bench polls node B's home page (a new anonymous reader every 10 ms) and records the time
from the moment the POST left (and from A's answer) to the first page of B that shows the post:
p50, p99 and max; the target (p99 < 1 s) counts from the POST leaving.
Results go to bench/results/nodes.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.dataset import forge
from bench.faults.parts import Process, RedisServer
from bench.faults.setup import Database, node_environment, wait_until_serving
from bench.live import Writer
from bench.loadgen import Target, run_load, wrk_available
from bench.server import ROOT, free_port
from bench.stats import Measurement, percentile

POLL_SECONDS = 0.01
MAX_VISIBLE_S = 1.0  # the promise: every node serves the new page within 1 s


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.nodes", description=__doc__)
    parser.add_argument("--posts", type=int, default=1000, help="posts to forge (1000)")
    parser.add_argument("--duration", type=float, default=10, help="seconds of load (10)")
    parser.add_argument("--concurrency", type=int, default=8, help="connections in all (8)")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers per node (1)")
    parser.add_argument("--publishes", type=int, default=30, help="posts timed (30)")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "MYBLOG_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL server's maintenance database; the bench creates its own there",
    )
    parser.add_argument("--python-client", action="store_true", help="do not use wrk")
    parser.add_argument("--output", type=Path, default=ROOT / "bench/results/nodes.json")
    return parser.parse_args(argv)


def start_node(env: dict[str, str], workers: int, log: Path) -> Process:
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")]
    command += ["--workers", str(workers), "--bind", f"127.0.0.1:{port}", "myblog.wsgi:app"]
    node = Process(command=command, env=env, log=log)
    node.port = port  # type: ignore[attr-defined]
    node.start()
    return node


def load(ports: list[int], args: argparse.Namespace) -> list[Measurement]:
    """Load `/` on every port at once, the connections split evenly; one result per port."""
    results: list[Measurement | None] = [None] * len(ports)
    share = max(1, args.concurrency // len(ports))
    use_wrk = wrk_available() and not args.python_client

    def one(n: int) -> None:
        target = Target(f"home:{ports[n]}", ("/",))
        results[n] = run_load(
            target, port=ports[n], seconds=args.duration, concurrency=share, use_wrk=use_wrk
        )

    threads = [threading.Thread(target=one, args=(n,)) for n in range(len(ports))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [r for r in results if r is not None]


def _home_shows(port: int, title: str) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/")
        return title in conn.getresponse().read().decode(errors="replace")
    finally:
        conn.close()


def publish(writer: Writer, title: str) -> tuple[float, float]:
    """Publish a post through the writer's node; returns the monotonic times the POST left and
    its answer came."""
    token = writer._form("/admin/posts/new")["csrf_token"]
    form = {"csrf_token": token, "title": title, "slug": "", "body": "Bench *post*."}
    form |= {"category_id": "0", "tags": "", "status": "published", "published_at": ""}
    sent = time.monotonic()
    status, _, _ = writer.request("POST", "/admin/posts/new", urlencode(form))
    if status != 302:
        raise RuntimeError(f"the post was refused ({status})")
    return sent, time.monotonic()


def time_visibility(a: int, b: int, count: int) -> tuple[list[float], list[float]]:
    """Seconds from each publish on node A (the POST leaving; A's answer) to the first home
    page of node B that shows the post."""
    writer = Writer(a)
    writer.log_in()
    from_sent: list[float] = []
    from_answer: list[float] = []
    for n in range(count):
        title = f"Bench node post {n} {uuid.uuid4().hex[:6]}"
        sent, answered = publish(writer, title)
        while not _home_shows(b, title):
            if time.monotonic() > sent + 10:
                raise RuntimeError(f"{title!r} never showed on node B")
            time.sleep(POLL_SECONDS)
        seen = time.monotonic()
        from_sent.append(seen - sent)
        from_answer.append(seen - answered)
    return from_sent, from_answer


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    secret = secrets.token_hex(32)
    os.environ["SECRET_KEY"] = secret  # bench.dataset.forge builds a production app
    database = Database.create(args.postgres_url)
    redis = RedisServer(workdir)
    nodes: list[Process] = []
    try:
        forge(database.url, args.posts)
        redis.start()
        env = node_environment(
            secret=secret, database_url=database.url, redis_url=redis.url, smtp_port=free_port()
        )
        env |= {"MYBLOG_MAIL_SENDER": "off", "MYBLOG_WORKERS": str(args.workers)}
        nodes = [start_node(env, args.workers, workdir / f"node-{x}.log") for x in "ab"]
        ports = [node.port for node in nodes]  # type: ignore[attr-defined]
        wait_until_serving(ports)
        load(ports, argparse.Namespace(**{**vars(args), "duration": 1}))  # warm up both
        alone = load(ports[:1], args)
        both = load(ports, args)
        took, after_answer = time_visibility(ports[0], ports[1], args.publishes)
    finally:
        for node in nodes:
            node.stop()
        redis.stop()
        database.drop()
    return report(args, alone, both, took, after_answer)


def _spread(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(values, 50), 3),
        "p99": round(percentile(values, 99), 3),
        "max": round(max(values), 3),
    }


def report(
    args: argparse.Namespace,
    alone: list[Measurement],
    both: list[Measurement],
    took: list[float],
    after_answer: list[float] | None = None,
) -> dict[str, Any]:
    summed = sum(m.rps for m in both)
    p99 = percentile(took, 99)
    return {
        "posts": args.posts,
        "workers_per_node": args.workers,
        "connections": args.concurrency,
        "seconds": args.duration,
        "home_rps_one_node": round(alone[0].rps, 1),
        "home_rps_two_nodes": [round(m.rps, 1) for m in both],
        "home_rps_two_nodes_summed": round(summed, 1),
        "errors": sum(m.errors for m in [*alone, *both]),
        "publishes": len(took),
        "visible_on_other_node_s": _spread(took),
        "visible_after_a_answered_s": _spread(after_answer or took),
        "pass": {"visible_p99_under_1s": p99 < MAX_VISIBLE_S},
    }


def show(result: dict[str, Any]) -> None:
    seen = result["visible_on_other_node_s"]
    answered = result["visible_after_a_answered_s"]
    lines = [
        f"home req/s, one node          {result['home_rps_one_node']} "
        f"({result['connections']} connections)",
        f"home req/s, two nodes summed  {result['home_rps_two_nodes_summed']} "
        f"({' + '.join(map(str, result['home_rps_two_nodes']))}, "
        f"{result['connections']} connections split)",
        f"errors                        {result['errors']}",
        f"publish on A -> on B's home   p50 {seen['p50']} s, p99 {seen['p99']} s, "
        f"max {seen['max']} s over {result['publishes']} posts (target p99 < {MAX_VISIBLE_S} s)",
        f"  counted from A's answer     p50 {answered['p50']} s, p99 {answered['p99']} s, "
        f"max {answered['max']} s",
        "verdict                       "
        + ", ".join(f"{k} {'PASS' if v else 'MISS'}" for k, v in result["pass"].items()),
    ]
    print("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="myblog-bench-nodes-") as tmp:
        result = run(args, Path(tmp))
    show(result)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if all(result["pass"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
