"""`uv run python -m bench.faults`: the scaled-out blog under load while its parts fail.

Two gunicorn nodes (production config) share a PostgreSQL database and a Redis; an RQ worker
delivers mail to an SMTP sink that counts every Message-ID. Readers, commenters and an owner
publishing to subscribers load both nodes, round robin, while Redis stops, PostgreSQL stops, a
web worker and then the RQ worker are killed. Afterwards: requests and 5xx answers per phase,
accepted writes lost, mails lost and duplicated, and how long each part took to recover.

PostgreSQL is the machine's own server, reached through a TCP gate the bench closes (every
open connection cut, new ones refused: what the app sees when the server stops), so the bench
never stops a server other programs use. Redis is a redis-server process of the bench's own,
killed and started again on the same port.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.faults import judge
from bench.faults.load import Record, commenter, publisher, reader
from bench.faults.parts import (
    RedisServer,
    SmtpSink,
    TcpGate,
    gunicorn_node,
    kill_one_worker,
    rq_worker,
)
from bench.faults.setup import Database, node_environment, wait_until_serving
from bench.server import rss_mb, workers_rss

RESULTS = Path(__file__).resolve().parents[1] / "results" / "faults.json"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__)
    add = parser.add_argument
    add("--duration", type=float, default=150, help="seconds of load (150)")
    add("--redis-at", type=float, default=15, help="Redis stops at this second (15)")
    add("--redis-outage", type=float, default=30, help="for this long (30)")
    add("--db-at", type=float, default=65, help="PostgreSQL stops at this second (65)")
    add("--db-outage", type=float, default=20, help="for this long (20)")
    add("--kill-web-at", type=float, default=100, help="a web worker is killed (100)")
    add("--kill-rq-at", type=float, default=110, help="the RQ worker is killed (110)")
    add("--rq-restart-after", type=float, default=5, help="a new RQ worker starts after (5)")
    add("--readers", type=int, default=4)
    add("--commenters", type=int, default=3)
    add("--publish-every", type=float, default=6, help="seconds between the owner's posts (6)")
    add("--subscribers", type=int, default=20, help="confirmed subscribers (20)")
    add("--posts", type=int, default=200, help="posts forged before the run (200)")
    add("--workers", type=int, default=2, help="gunicorn workers per node (2)")
    add("--threads", type=int, default=4, help="threads per worker (4)")
    add("--drain", type=float, default=120, help="seconds allowed to deliver the rest (120)")
    add("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    add("--output", type=Path, default=RESULTS)
    add("--logs", type=Path, default=None, help="copy the nodes' and the worker's logs here")
    return parser.parse_args(argv)


def _visitors(
    args: argparse.Namespace, ports: list[int], slugs: list[str], record: Record
) -> tuple[threading.Event, list[threading.Thread]]:
    stop = threading.Event()
    visitors = [(reader, (ports, slugs, stop, record))] * args.readers
    visitors += [(commenter, (ports, slugs, stop, record))] * args.commenters
    visitors += [(publisher, (ports, args.publish_every, stop, record))]
    threads = [threading.Thread(target=target, args=a, daemon=True) for target, a in visitors]
    for thread in threads:
        thread.start()
    return stop, threads


def _at(record: Record, second: float) -> None:
    delay = second - record.now()
    if delay > 0:
        time.sleep(delay)


def run_faults(args: argparse.Namespace, parts: dict[str, Any], record: Record) -> list[dict]:
    """Play the faults at their times; returns what happened when."""
    events: list[dict] = []
    gate, redis, nodes = parts["gate"], parts["redis"], parts["nodes"]
    plan = sorted(
        [
            (args.redis_at, "redis stops", redis.stop),
            (args.redis_at + args.redis_outage, "redis starts", redis.start),
            (args.db_at, "postgresql stops", gate.close),
            (args.db_at + args.db_outage, "postgresql starts", gate.open),
            (args.kill_web_at, "a web worker is killed", lambda: kill_one_worker(nodes[0])),
            (args.kill_rq_at, "the rq worker is killed", parts["rq"].kill),
            (args.kill_rq_at + args.rq_restart_after, "an rq worker starts", parts["rq"].start),
        ]
    )
    for second, name, action in plan:
        if second >= args.duration:
            continue
        _at(record, second)
        events.append({"at": round(record.now(), 2), "event": name, "detail": action()})
        print(f"  {record.now():6.1f} s  {name}", flush=True)
    return events


def _not_logs(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if not name.endswith(".log")]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    secret = secrets.token_hex(32)
    with tempfile.TemporaryDirectory(prefix="myblog-faults-") as tmp:
        workdir = Path(tmp)
        database = Database.create(args.postgres_url)
        gate = TcpGate(database.port)
        redis = RedisServer(workdir)
        sink = SmtpSink()
        try:
            redis.start()
            smtp_port = sink.start()
            print(f"forging {args.posts} posts and {args.subscribers} subscribers …", flush=True)
            slugs = database.prepare(secret, posts=args.posts, subscribers=args.subscribers)
            env = node_environment(
                secret=secret,
                database_url=database.url_through(gate.port),
                redis_url=redis.url,
                smtp_port=smtp_port,
            )
            nodes = [
                gunicorn_node(
                    env, workers=args.workers, threads=args.threads, log=workdir / f"node{i}.log"
                )
                for i in range(2)
            ]
            rq = rq_worker(env, workdir / "rq.log")
            for process in (*nodes, rq):
                process.start()
            ports = [node.port for node in nodes]  # type: ignore[attr-defined]
            wait_until_serving(ports)
            record = Record()
            stop, threads = _visitors(args, ports, slugs, record)
            parts = {"gate": gate, "redis": redis, "nodes": nodes, "rq": rq}
            events = run_faults(args, parts, record)
            _at(record, args.duration)
            stop.set()
            for thread in threads:
                thread.join(timeout=15)
            print("load stopped; delivering what is left …", flush=True)
            drained = judge.drain(database, sink, args.drain)
            report = judge.report(args, record, events, database, sink, drained)
            report["worker rss mb"] = {
                f"node {i}": [round(mb, 1) for mb in workers_rss(node.pid).values()]
                for i, node in enumerate(nodes)
            }
            report["worker rss mb"]["rq worker"] = [round(rss_mb(rq.pid), 1)]
            for process in (*nodes, rq):
                process.stop()
            if args.logs is not None:
                shutil.copytree(workdir, args.logs, dirs_exist_ok=True, ignore=_not_logs)
        finally:
            sink.stop()
            redis.stop()
            gate.close()
            database.drop()
    judge.print_report(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, default=str))
    print(f"results written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
