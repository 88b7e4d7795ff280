"""`uv run python -m bench`: forge a data set, serve it with gunicorn, load it, print figures."""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import secrets
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import gunicorn as gunicorn_package

from bench.dataset import DataSet, app_for, ensure_empty, forge, wipe
from bench.loadgen import Target, run_load, wrk_available
from bench.server import (
    cpu_between,
    cpu_sample,
    environment,
    fetch_status,
    gunicorn,
    machine_busy,
    workers_rss,
)
from bench.stats import (
    MAX_P99_RATIO,
    MAX_WORKER_RSS_MB,
    MIN_FLOOR_SHARE,
    Measurement,
    floor_share,
    load_table,
    p99_ratios,
    rss_table,
    scale_table,
    with_cpu,
)

RESULTS = Path(__file__).resolve().parent / "results" / "last.json"
SCALE_SIZES = (100, 10_000)
BUSY_CPU = 0.15  # CPU use by others above which the figures are not the machine's own


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--posts", type=int, default=10_000, help="posts to forge (10000)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per page (10)")
    parser.add_argument("--warmup", type=float, default=1, help="warm-up seconds per page (1)")
    parser.add_argument("--concurrency", type=int, default=8, help="open connections (8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (4)")
    parser.add_argument(
        "--scale",
        action="store_true",
        help=f"run at {SCALE_SIZES[0]} and {SCALE_SIZES[1]} posts and compare p99",
    )
    parser.add_argument(
        "--database-url",
        help="an EMPTY PostgreSQL database to use (the bench fills it, then drops its tables); "
        "default: a temporary SQLite file",
    )
    parser.add_argument(
        "--python-client", action="store_true", help="use the Python load generator, not wrk"
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0,
        metavar="SECONDS",
        help="first wait up to this long for other processes to leave the CPUs idle (0)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON")
    return parser.parse_args(argv)


def _check_pages(port: int, targets: list[Target]) -> None:
    # a page that answers 404 or 500 would "perform" wonderfully: refuse to measure it
    for target in targets:
        for path in target.paths:
            status = fetch_status(port, path)
            if status != 200:
                raise SystemExit(f"{path} answered {status}, not 200: nothing to measure")


# (label suffix, gunicorn app, settings, which targets, goal as a share of the floor's req/s)
RUNS = (
    ("", "bench.floor_app:app", {}, "floor", math.nan),
    (" uncached", "bench.wsgi:app", {"MYBLOG_PAGE_CACHE": "0"}, "app", math.nan),
    (" cached", "bench.wsgi:app", {"MYBLOG_PAGE_CACHE": "1"}, "pages", 1.0),
)


def _run_targets(data: DataSet, which: str) -> list[Target]:
    targets = data.targets()  # the floor first, then the pages
    if which == "floor":
        return targets[:1]
    if which == "app":  # the same floor route inside myblog, paying its hooks, then the pages
        return [Target("app floor", targets[0].paths), *targets[1:]]
    return targets[1:]


def measure(
    data: DataSet, args: argparse.Namespace, workdir: Path, use_wrk: bool
) -> tuple[list[Measurement], dict[int, float]]:
    """Serve the floor app, then myblog without and with its page cache, each with the same
    gunicorn command line, and load each target in turn; then read myblog's workers' RSS."""
    results: list[Measurement] = []
    rss: dict[int, float] = {}
    for suffix, app, settings, which, goal in RUNS:
        env = environment(
            {
                "SECRET_KEY": os.environ["SECRET_KEY"],
                "DATABASE_URL": data.url,
                # one process's rate limits are not what is measured here
                "MYBLOG_WORKERS": "1",
                "MYBLOG_PAGE_VERSION_FILE": str(workdir / "page-version"),
                **settings,
            }
        )
        targets = _run_targets(data, which)
        log = workdir / f"gunicorn-{data.posts}{suffix.replace(' ', '-')}.log"
        with gunicorn(
            env=env,
            workers=args.workers,
            threads=args.threads,
            connections=args.concurrency,
            log=log,
            app=app,
        ) as server:
            _check_pages(server.port, targets)
            for target in targets:
                load = {"port": server.port, "concurrency": args.concurrency, "use_wrk": use_wrk}
                if args.warmup > 0:
                    run_load(target, seconds=args.warmup, **load)
                before = cpu_sample(server.process.pid)
                result = run_load(target, seconds=args.duration, **load)
                cpu, others = cpu_between(before, cpu_sample(server.process.pid))
                label = target.label + ("" if target.label == "app floor" else suffix)
                path = f"{result.path}{suffix}" if target.label != "floor" else result.path
                measured = replace(with_cpu(result, cpu, others), label=label, path=path)
                results.append(replace(measured, goal=goal))
                print(f"  {label:<17} {results[-1].rps:8.0f} req/s", flush=True)
            if which != "floor":
                rss = workers_rss(server.process.pid)
    return results, rss


def run_size(
    posts: int, args: argparse.Namespace, workdir: Path, use_wrk: bool
) -> tuple[dict[str, Any], list[Measurement]]:
    """Forge one data size, measure it, print its tables; returns its report and measurements."""
    url = args.database_url or f"sqlite:///{workdir / f'bench-{posts}.sqlite'}"
    if args.database_url:
        ensure_empty(url)
    print(f"\n== {posts} posts ==", flush=True)
    try:
        data = forge(url, posts)
        print(f"  forged in {data.forge_seconds:.1f} s", flush=True)
        results, rss = measure(data, args, workdir, use_wrk)
    finally:
        if args.database_url:
            with app_for(url):
                wipe()
    floor = results[0]
    print()
    print(load_table(results, floor))
    print()
    print(rss_table(rss))
    report = {
        "posts": posts,
        "forge_seconds": round(data.forge_seconds, 1),
        "results": [
            {**m.as_dict(), "floor_share": round(floor_share(m, floor), 3)} for m in results
        ],
        "pages_pass": {
            m.label: floor_share(m, floor) >= m.goal for m in results[1:] if not math.isnan(m.goal)
        },
        "workers_rss_mb": {str(pid): round(mb, 1) for pid, mb in rss.items()},
        "rss_pass": all(mb <= MAX_WORKER_RSS_MB for mb in rss.values()),
    }
    return report, results


def _describe(args: argparse.Namespace, use_wrk: bool) -> dict[str, Any]:
    return {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "gunicorn": gunicorn_package.__version__,
        },
        "settings": {
            "load_generator": "wrk" if use_wrk else "python",
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "concurrency": args.concurrency,
            "workers": args.workers,
            "threads": args.threads,
            "worker_class": "gthread",
            "database": "postgresql" if args.database_url else "sqlite",
        },
        "targets": {
            "min_floor_share": MIN_FLOOR_SHARE,
            "max_p99_ratio": MAX_P99_RATIO,
            "max_worker_rss_mb": MAX_WORKER_RSS_MB,
        },
    }


def _wait_quiet(patience: float) -> float:
    # others' test runs on a shared machine halve the figures: give them a chance to finish
    deadline = time.monotonic() + patience
    busy = machine_busy(2.0)
    while busy > BUSY_CPU and time.monotonic() < deadline:
        print(f"waiting: the CPUs are {busy:.0%} busy", flush=True)
        time.sleep(5)
        busy = machine_busy(2.0)
    return busy


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    use_wrk = wrk_available() and not args.python_client
    sizes = list(SCALE_SIZES) if args.scale else [args.posts]
    # production refuses to start without a real key; a random one per bench run will do
    os.environ["SECRET_KEY"] = secrets.token_hex(32)
    started = time.perf_counter()
    busy = _wait_quiet(args.wait_quiet)
    why = "--python-client" if args.python_client else "wrk not found"
    print(f"load generator: {'wrk' if use_wrk else f'python ({why})'}", flush=True)
    if busy > BUSY_CPU:
        print(
            f"warning: the CPUs are {busy:.0%} busy before the bench starts; req/s and "
            "latencies will be low (cpu ms/req holds better)",
            flush=True,
        )
    with tempfile.TemporaryDirectory(prefix="myblog-bench-") as tmp:
        # forging writes content versions too: not into the repository's instance folder
        os.environ["MYBLOG_PAGE_VERSION_FILE"] = str(Path(tmp) / "page-version")
        runs = [run_size(n, args, Path(tmp), use_wrk) for n in sizes]
    report = _describe(args, use_wrk)
    report["machine"]["cpu_busy_before"] = round(busy, 3)
    report["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    report["runs"] = [run for run, _ in runs]
    if len(runs) == 2:
        ratios = p99_ratios(runs[0][1], runs[1][1], reference="floor")
        print(f"\n== p99 at {sizes[1]} posts / p99 at {sizes[0]} posts ==")
        print(scale_table(ratios, sizes[0], sizes[1]))
        report["scale"] = ratios
    report["total_seconds"] = round(time.perf_counter() - started, 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\ntotal {report['total_seconds']:.0f} s; results written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
