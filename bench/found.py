"""`uv run python -m bench.found`: what the feeds, the sitemap and robots.txt cost per request.

The production app (`bench/wsgi.py`) on a forged SQLite data set, through the test client with
no cookies, like a crawler or a feed reader: for each address, the median and worst time of
`--requests` requests, the SQL statements it runs and the size of its body. The sitemap lists
every post, so its time grows with the data: the last column gives it per 1,000 URLs.
"""

from __future__ import annotations

import argparse
import importlib
import os
import secrets
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.dataset import dataset_of, forge
from myblog.extensions import db


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.found", description=__doc__)
    parser.add_argument("--posts", type=int, default=2_000, help="posts to forge (2000)")
    parser.add_argument("--requests", type=int, default=20, help="requests per address (20)")
    parser.add_argument(
        "--sqlite", type=Path, help="reuse (or forge once into) this SQLite file instead of a temp"
    )
    return parser.parse_args(argv)


def measure(client: Any, path: str, requests: int, engine: Any) -> dict[str, Any]:
    """Median and worst ms, statements per request and body size of one address."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    first = client.get(path)  # warm: templates compiled, settings cached
    if first.status_code != 200:
        raise SystemExit(f"{path} answered {first.status_code}")
    times = []
    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    urls = response.data.count(b"<loc>")
    return {
        "path": path,
        "p50_ms": statistics.median(times),
        "max_ms": max(times),
        "statements": len(statements) / requests,
        "kb": len(response.data) / 1024,
        "urls": urls,
    }


def table(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'path':<28} {'p50 ms':>8} {'max ms':>8} {'SQL':>5} {'KB':>8} {'ms/1k URLs':>11}"]
    for row in rows:
        per_k = f"{row['p50_ms'] / row['urls'] * 1000:.2f}" if row["urls"] > 100 else ""
        lines.append(
            f"{row['path']:<28} {row['p50_ms']:8.2f} {row['max_ms']:8.2f} "
            f"{row['statements']:5.1f} {row['kb']:8.1f} {per_k:>11}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ["SECRET_KEY"] = secrets.token_hex(32)
    with tempfile.TemporaryDirectory(prefix="myblog-found-") as tmp:
        path = args.sqlite or Path(tmp) / "found.sqlite"
        url = f"sqlite:///{path.resolve()}"
        if not path.exists():
            forge(url, args.posts)
        os.environ["DATABASE_URL"] = url
        app = importlib.import_module("bench.wsgi").app
        client = app.test_client(use_cookies=False)
        with app.app_context():
            data = dataset_of(url)
            engine = db.engine
        category = f"/category/{data.category_slug}"
        paths = ["/feed.xml", "/feed.json", f"{category}/feed.xml", "/sitemap.xml", "/robots.txt"]
        rows = [measure(client, p, args.requests, engine) for p in paths]
        print(f"{data.posts} posts, {args.requests} requests per address (SQLite, test client)")
        print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
