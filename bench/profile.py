"""`uv run python -m bench.profile`: where a page's time goes (production app, test client)."""

from __future__ import annotations

import argparse
import cProfile
import importlib
import os
import pstats
import secrets
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from bench.dataset import dataset_of, forge
from bench.loadgen import Target
from myblog.extensions import db

# (substring of a profiled function's file or name, the bucket it is counted in); first match wins
BUCKETS = (
    ("sqlite3.Cursor", "sqlite (C, the queries themselves)"),
    ("psycopg", "psycopg (the queries themselves)"),
    ("/myblog/templates/", "jinja2 (our templates)"),
    ("/jinja2/", "jinja2 (runtime)"),
    ("/markupsafe/", "jinja2 (runtime)"),
    ("/sqlalchemy/", "sqlalchemy (ORM and core)"),
    ("/flask_sqlalchemy/", "sqlalchemy (ORM and core)"),
    ("/itsdangerous/", "session and CSRF signing"),
    ("/flask_wtf/", "session and CSRF signing"),
    ("hashlib", "session and CSRF signing"),
    ("hmac", "session and CSRF signing"),
    ("/flask/sessions.py", "session and CSRF signing"),
    ("/flask_login/", "flask-login"),
    ("/flask_limiter/", "flask-limiter"),
    ("/limits/", "flask-limiter"),
    ("/flask_caching/", "flask-caching"),
    ("/cachelib/", "flask-caching"),
    ("/werkzeug/", "werkzeug (routing, request, response, test client)"),
    ("/flask/", "flask"),
    ("/myblog/", "myblog (views, services, hooks)"),
)


def bucket_of(where: str) -> str:
    """The bucket a profiled function belongs to, by its file name."""
    for needle, bucket in BUCKETS:
        if needle in where:
            return bucket
    return "other (stdlib, builtins)"


def by_bucket(stats: pstats.Stats) -> dict[str, float]:
    """Own time (tottime) summed per bucket, seconds."""
    totals: dict[str, float] = defaultdict(float)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, name), (_cc, _nc, tottime, _ct, _callers) in raw.items():
        totals[bucket_of(f"{filename}:{name}")] += tottime
    return dict(totals)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--posts", type=int, default=10_000, help="posts to forge (10000)")
    parser.add_argument("--requests", type=int, default=200, help="requests per page (200)")
    parser.add_argument("--top", type=int, default=15, help="functions to list per page (15)")
    parser.add_argument(
        "--sqlite", type=Path, help="reuse (or forge once into) this SQLite file instead of a temp"
    )
    parser.add_argument("--page", action="append", help="only these labels (floor/home/post/...)")
    parser.add_argument(
        "--sql", action="store_true", help="also time each SQL statement (and EXPLAIN it on SQLite)"
    )
    return parser.parse_args(argv)


def _time_per_request(client: Any, paths: tuple[str, ...], n: int) -> float:
    started = time.perf_counter()
    for i in range(n):
        response = client.get(paths[i % len(paths)])
        if response.status_code != 200:
            raise SystemExit(f"{paths[i % len(paths)]} answered {response.status_code}")
    return (time.perf_counter() - started) / n * 1000


def profile_target(client: Any, target: Target, n: int, top: int) -> None:
    """Print the page's unprofiled ms per request, its cost by bucket and its top functions."""
    _time_per_request(client, target.paths, 10)  # warm: templates compiled, caches filled
    plain_ms = _time_per_request(client, target.paths, n)
    profiler = cProfile.Profile()
    profiler.enable()
    _time_per_request(client, target.paths, n)
    profiler.disable()
    stats = pstats.Stats(profiler)
    buckets = by_bucket(stats)
    total = sum(buckets.values())
    print(f"\n== {target.label} {target.shown}: {plain_ms:.2f} ms/request without the profiler ==")
    for name, seconds in sorted(buckets.items(), key=lambda kv: -kv[1]):
        print(f"  {seconds / total * 100:5.1f}%  {name}")
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


class StatementTimer:
    """Time spent in each distinct SQL statement, from SQLAlchemy's cursor events."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.totals: dict[str, list[Any]] = {}  # statement -> [calls, seconds, last parameters]
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, params: Any, *rest: Any) -> None:
        took = time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())
        entry = self.totals.setdefault(statement, [0, 0.0, None])
        entry[0] += 1
        entry[1] += took
        entry[2] = params

    def report(self, requests: int, explain_over_ms: float = 0.5) -> None:
        """Print each statement's ms per request, slowest first, with SQLite's plan if slow."""
        for statement, (calls, seconds, params) in sorted(
            self.totals.items(), key=lambda kv: -kv[1][1]
        ):
            per_request = seconds * 1000 / requests
            flat = " ".join(statement.split())
            print(f"  {per_request:8.3f} ms/request  {calls / requests:.1f}x  {flat}")
            if per_request >= explain_over_ms and self.engine.dialect.name == "sqlite":
                with self.engine.connect() as conn:
                    plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
                    for row in plan:
                        print(f"      plan: {row[-1]}")
        self.totals.clear()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ["SECRET_KEY"] = secrets.token_hex(32)
    with tempfile.TemporaryDirectory(prefix="myblog-profile-") as tmp:
        path = args.sqlite or Path(tmp) / "profile.sqlite"
        url = f"sqlite:///{path.resolve()}"
        if not path.exists():
            forge(url, args.posts)
        os.environ["DATABASE_URL"] = url
        wsgi = importlib.import_module("bench.wsgi")
        client = wsgi.app.test_client(use_cookies=False)  # like wrk: an anonymous visitor
        with wsgi.app.app_context():
            data = dataset_of(url)
            timer = StatementTimer(db.engine) if args.sql else None
        for target in data.targets():
            if args.page and target.label not in args.page:
                continue
            profile_target(client, target, args.requests, args.top)
            if timer is not None:
                timer.totals.clear()
                _time_per_request(client, target.paths, args.requests)
                print(f"\n-- {target.label}: SQL statements --")
                timer.report(args.requests)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
