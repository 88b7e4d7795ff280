"""`uv run python -m bench.page_cpu`: CPU per uncached request of the home, post and category
pages, in this process (WSGI calls, no server, no load generator), best of several rounds.

Steadier than req/s on a shared machine, so it is what compares two versions of the read path:
run it on each (`--sqlite` reuses one forged file) and compare the figures.
"""

from __future__ import annotations

import argparse
import os
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

from werkzeug.test import EnvironBuilder

from bench.dataset import app_for, dataset_of, forge


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.page_cpu", description=__doc__)
    parser.add_argument("--posts", type=int, default=10_000, help="posts to forge (10000)")
    parser.add_argument("--requests", type=int, default=300, help="requests per page a round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the best counts (5)")
    parser.add_argument("--sqlite", type=Path, help="reuse (or forge once into) this file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))
    os.environ["MYBLOG_PAGE_CACHE"] = "0"  # every request is rendered
    folder = Path(tempfile.mkdtemp(prefix="myblog-page-cpu-"))
    os.environ["MYBLOG_PAGE_VERSION_FILE"] = str(folder / "page-version")
    path = args.sqlite or folder / "bench.sqlite"
    url = f"sqlite:///{path}"
    if not path.exists():
        forge(url, args.posts)
    with app_for(url) as app:
        data = dataset_of(url)
    pages = {
        "home": ["/"],
        "post": [f"/post/{slug}" for slug in data.post_slugs],
        "category": [f"/category/{data.category_slug}"],
    }
    environs = {
        name: [EnvironBuilder(path=p, headers={"Host": "127.0.0.1"}).get_environ() for p in paths]
        for name, paths in pages.items()
    }

    def call(environ: dict[str, Any]) -> None:
        body = app(dict(environ), lambda *a: None)
        b"".join(body)
        body.close()  # type: ignore[attr-defined]

    for batch in environs.values():
        for environ in batch:
            call(environ)  # warm: templates compiled, statements cached
    best = dict.fromkeys(environs, float("inf"))
    for _ in range(args.rounds):
        for name, batch in environs.items():
            started = time.process_time()
            for i in range(args.requests):
                call(batch[i % len(batch)])
            spent = (time.process_time() - started) / args.requests * 1000
            best[name] = min(best[name], spent)
    print("  ".join(f"{name} {ms:.3f} ms" for name, ms in best.items()))


if __name__ == "__main__":
    main()
