"""`uv run python -m bench.search`: p95 latency of the search page on forged data.

For each size (`--posts 10000 100000`) and each database (SQLite always; PostgreSQL with
`--postgres URL`, where a scratch database is created and dropped), forge the posts with
`flask forge`'s code (migrations, then bulk inserts with their index entries), then request
`/search?q=…` through the production app's test client (no cookies, as an anonymous reader),
cycling through queries of every kind: an English word whole and as a prefix, a word found in
most posts, Chinese of one, two and three characters, a quoted phrase, a query matching
nothing, and a second page. Prints p50 and p95 per kind and over all requests (target: p95
under 50 ms at 100,000 posts), and how long forging took.
"""

from __future__ import annotations

import argparse
import importlib
import os
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.stats import percentile

TARGET_P95_MS = 50.0
QUERIES = [
    ("english word", "flask"),
    ("english prefix", "sel"),
    ("common word", "the"),
    ("rare word", "zyzzyva"),
    ("chinese 1 char", "的"),
    ("chinese 2 chars", "数据"),
    ("chinese 3 chars", "我们的"),
    ("phrase", '"hello flask"'),
    ("mixed", "flask 数据"),
    ("page 2", "flask&page=2"),
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__)
    parser.add_argument("--posts", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--requests", type=int, default=30, help="requests per query (30)")
    parser.add_argument(
        "--postgres", help="a PostgreSQL server URL (its maintenance database) to bench on too"
    )
    parser.add_argument(
        "--sqlite-dir", type=Path, help="keep (and reuse) the forged SQLite files in this folder"
    )
    return parser.parse_args(argv)


@contextmanager
def scratch_postgres(server: str) -> Iterator[str]:
    """A new empty PostgreSQL database on the server, dropped afterwards."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    name = f"bench_search_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        url = make_url(server).set(drivername="postgresql+psycopg", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def measure(client: Any, requests: int) -> dict[str, list[float]]:
    """Milliseconds of each request, by query kind (one warm-up request each, not counted)."""
    times: dict[str, list[float]] = {kind: [] for kind, _ in QUERIES}
    paths = {kind: "/search?q=" + quote(q, safe="&=") for kind, q in QUERIES}
    for path in paths.values():
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
    cpu: list[float] = []
    for _ in range(requests):
        for kind, path in paths.items():
            started, cpu_started = time.perf_counter(), time.process_time()
            client.get(path)
            times[kind].append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
    # this process's CPU per request: on SQLite the whole work, on PostgreSQL without the
    # server's; less disturbed than wall time when other processes share the cores
    times["(app cpu)"] = cpu
    return times


def report(label: str, times: dict[str, list[float]]) -> str:
    cpu = times.pop("(app cpu)")
    everything = [t for values in times.values() for t in values]
    p95 = percentile(everything, 95)
    verdict = "PASS" if p95 < TARGET_P95_MS else "MISS"
    lines = [f"== {label} ==", f"{'query':<18} {'p50 ms':>8} {'p95 ms':>8}"]
    for kind, values in times.items():
        lines.append(f"{kind:<18} {percentile(values, 50):8.2f} {percentile(values, 95):8.2f}")
    lines.append(
        f"{'all':<18} {percentile(everything, 50):8.2f} {p95:8.2f}  "
        f"(p95 < {TARGET_P95_MS:.0f} ms: {verdict})"
    )
    lines.append(f"{'app cpu':<18} {percentile(cpu, 50):8.2f} {percentile(cpu, 95):8.2f}")
    lines.append(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return "\n".join(lines)


def run_one(url: str, posts: int, requests: int, *, reuse: bool = False) -> str:
    """Forge (unless reusing a forged file), then measure; the report's text."""
    from bench.dataset import forge

    forged = "reused"
    if not reuse:
        started = time.perf_counter()
        forge(url, posts)
        forged = f"forged in {time.perf_counter() - started:.0f} s"
    os.environ["DATABASE_URL"] = url
    sys.modules.pop("bench.wsgi", None)
    app = importlib.import_module("bench.wsgi").app
    client = app.test_client(use_cookies=False)
    try:
        times = measure(client, requests)
    finally:
        from myblog.extensions import db

        with app.app_context():
            db.engine.dispose()
    backend = url.split(":", 1)[0]
    return report(f"{posts} posts, {backend} ({forged})", times)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ["SECRET_KEY"] = secrets.token_hex(32)
    os.environ["MYBLOG_SEARCH_LIMIT"] = "1000000 per minute"  # the bench is one address
    os.environ.pop("REDIS_URL", None)
    os.environ["MYBLOG_MAIL_SENDER"] = "off"  # no sender thread polling the database meanwhile
    with tempfile.TemporaryDirectory(prefix="myblog-search-") as tmp:
        folder = args.sqlite_dir or Path(tmp)
        for posts in args.posts:
            path = folder / f"search-{posts}.sqlite"
            reuse = path.exists()
            print(run_one(f"sqlite:///{path.resolve()}", posts, args.requests, reuse=reuse))
            if args.postgres:
                with scratch_postgres(args.postgres) as url:
                    print(run_one(url, posts, args.requests))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
