"""What the interface's languages cost a page: the same pages rendered for an English and a
Chinese reader (in the blog's time zone, Asia/Shanghai), and one `time_tag` on its own.

    uv run python -m bench.languages --requests 200
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench.porting import blog
from myblog.fakes import forge_data
from myblog.services.accounts import setup_blog
from myblog.services.site import update_site
from myblog.templating import time_tag

PAGES = ("/", "/archive")
READERS = {"en": {"Accept-Language": "en-US"}, "zh_CN": {"Accept-Language": "zh-CN"}}


def median_ms(work: Callable[[], object], times: int) -> float:
    for _ in range(min(times, 20)):  # warm up: templates, caches, catalogs
        work()
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        work()
        spent.append(time.perf_counter() - started)
    return statistics.median(spent) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per page and reader")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, blog(Path(folder), "languages") as app:
        setup_blog(title="Bench", username="owner", email="o@example.com", password="x" * 12)
        update_site(title="Bench", tagline="", about="", timezone="Asia/Shanghai")
        forge_data(posts=50, categories=3, tags=8, seed=1)
        client = app.test_client()
        for path in PAGES:
            # the readers take turns, so the neighbours' load falls on both alike
            spent: dict[str, list[float]] = {language: [] for language in READERS}
            for turn in range(args.requests + 20):
                for language, headers in READERS.items():
                    started = time.perf_counter()
                    client.get(path, headers=headers)
                    if turn >= 20:  # the first ones warm templates, caches and catalogs
                        spent[language].append(time.perf_counter() - started)
            for language, times in spent.items():
                ms = statistics.median(times) * 1000
                print(f"{path:<10} {language:<6} {ms:7.2f} ms median")
        moment = datetime(2024, 5, 1, 20, tzinfo=UTC)
        for language, headers in READERS.items():
            with app.test_request_context("/", headers=headers):
                us = median_ms(lambda: time_tag(moment), 5000) * 1000
                print(f"time_tag   {language:<6} {us:7.1f} µs median")


if __name__ == "__main__":
    main()
