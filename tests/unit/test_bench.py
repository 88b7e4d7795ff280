"""The bench's pure helpers: percentiles, verdicts, tables, wrk parsing (not the load test)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

from bench.loadgen import WRK_MARKER, Target, parse_wrk, split_connections
from bench.profile import bucket_of
from bench.server import cpu_seconds, gunicorn_command, rss_mb, worker_pids
from bench.stats import (
    MAX_P99_RATIO,
    Measurement,
    floor_share,
    load_table,
    p99_ratios,
    percentile,
    rss_table,
    scale_table,
    summarise,
    with_cpu,
)


def measured(label: str, requests: int, p99: float, seconds: float = 10.0) -> Measurement:
    return Measurement(
        label=label,
        path=f"/{label}",
        requests=requests,
        errors=0,
        seconds=seconds,
        p50_ms=p99 / 2,
        p99_ms=p99,
    )


def test_percentile_interpolates_between_ranks():
    values = [4.0, 1.0, 3.0, 2.0]  # unsorted on purpose
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile(values, 50) == pytest.approx(2.5)
    assert percentile(list(range(1, 101)), 99) == pytest.approx(99.01)
    assert percentile([7.0], 99) == 7.0


def test_percentile_of_nothing_is_nan_and_rejects_bad_q():
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_summarise_turns_latencies_into_rates_and_milliseconds():
    m = summarise("home", "/", [0.001] * 98 + [0.1, 0.2], seconds=2.0, errors=3)
    assert m.requests == 100
    assert m.rps == pytest.approx(50.0)
    assert m.p50_ms == pytest.approx(1.0)
    assert 1.0 < m.p99_ms <= 200.0
    assert m.errors == 3


def test_floor_share_and_table_verdicts():
    floor = measured("floor", 20_000, 5.0)
    fast = measured("home", 8_000, 9.0)  # 40% of the floor
    slow = measured("post", 2_000, 30.0)  # 10% of the floor
    assert floor_share(fast, floor) == pytest.approx(0.4)
    lines = load_table([floor, fast, slow], floor).splitlines()
    assert lines[0].split()[:3] == ["path", "req/s", "p50"]
    home = next(line for line in lines if line.startswith("/home"))
    post = next(line for line in lines if line.startswith("/post"))
    floor_line = next(line for line in lines if line.startswith("/floor"))
    assert "40%" in home and "PASS" in home
    assert "10%" in post and "MISS" in post
    assert "PASS" not in floor_line and "MISS" not in floor_line
    assert "800" in home  # 8000 requests over 10 s


def test_with_cpu_and_json_form():
    m = with_cpu(measured("home", 500, 10.0), cpu_seconds=2.0)
    assert m.cpu_ms == pytest.approx(4.0)
    as_json = json.loads(json.dumps(m.as_dict()))
    assert as_json["rps"] == 50.0 and as_json["cpu_ms"] == 4.0
    assert measured("x", 1, 1.0).as_dict()["cpu_ms"] is None  # NaN is not JSON


def test_rss_table_marks_each_worker():
    text = rss_table({202: 95.5, 101: 60.0, 303: 80.0})
    rows = text.splitlines()[2:]
    assert rows[0].split() == ["101", "60.0", "PASS"]
    assert rows[1].split() == ["202", "95.5", "MISS"]
    assert rows[2].split() == ["303", "80.0", "PASS"]  # the limit itself is within target


def test_p99_ratios_compare_like_with_like():
    small = [measured("floor", 1, 2.0), measured("home", 10, 10.0), measured("post", 1, 8.0)]
    large = [measured("floor", 1, 2.2), measured("home", 10, 40.0), measured("post", 1, 9.0)]
    small[1] = with_cpu(small[1], cpu_seconds=0.05)  # 5 ms a request
    large[1] = with_cpu(large[1], cpu_seconds=0.5)  # 50 ms a request
    ratios = {r["label"]: r for r in p99_ratios(small, large, reference="floor")}
    assert ratios["home"]["ratio"] == 4.0 and ratios["home"]["pass"] is False
    assert ratios["home"]["cpu_ratio"] == 10.0
    assert ratios["post"]["cpu_ratio"] is None  # no CPU figures: no ratio rather than NaN
    assert ratios["post"]["ratio"] == pytest.approx(1.12) and ratios["post"]["pass"] is True
    assert ratios["floor"]["pass"] is None
    table = scale_table(list(ratios.values()), 100, 10_000)
    assert "p99 ms @10000" in table and f"≤{MAX_P99_RATIO}x" in table
    home = next(line for line in table.splitlines() if line.startswith("home"))
    assert home.split()[-3:] == ["4.00", "MISS", "10.00"]


def test_split_connections_spreads_evenly():
    assert split_connections(8, 2) == [4, 4]
    assert split_connections(7, 3) == [3, 2, 2]
    assert split_connections(2, 8) == [1, 1]
    assert sum(split_connections(13, 4)) == 13


def test_parse_wrk_reads_the_lua_summary_line():
    report = {
        "requests": 1500,
        "duration_us": 3_000_000,
        "errors": 1,
        "bad_status": 2,
        "p50_us": 2500,
        "p99_us": 12000,
    }
    output = f"Running 3s test\n  1500 requests\n{WRK_MARKER}{json.dumps(report)}\n"
    m = parse_wrk(Target("post", ("/post/a", "/post/b", "/post/c")), output)
    assert m.rps == pytest.approx(500.0)
    assert (m.p50_ms, m.p99_ms, m.errors) == (2.5, 12.0, 3)
    assert m.path == "/post/a (+2)"
    with pytest.raises(RuntimeError):
        parse_wrk(Target("home", ("/",)), "no summary here")


def test_profile_buckets_by_file():
    assert bucket_of("~:<method 'execute' of 'sqlite3.Cursor' objects>").startswith("sqlite")
    assert bucket_of("/x/site-packages/sqlalchemy/orm/loading.py:_instance").startswith(
        "sqlalchemy"
    )
    assert bucket_of("/work/main/myblog/templates/base.html:root") == "jinja2 (our templates)"
    assert bucket_of("/x/site-packages/itsdangerous/timed.py:sign").startswith("session")
    assert bucket_of("/usr/lib/python3.11/json/encoder.py:encode").startswith("other")


def test_proc_readers_see_children_memory_and_cpu():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in worker_pids(os.getpid())
    finally:
        child.kill()
        child.wait()
    assert rss_mb(os.getpid()) > 10  # this interpreter with pytest loaded
    assert cpu_seconds(os.getpid()) > 0


@pytest.mark.parametrize(
    ("connections", "workers", "share"), [(8, 2, "4"), (9, 2, "5"), (1, 4, "1")]
)
def test_each_worker_takes_at_most_its_share_of_the_connections(
    tmp_path, connections, workers, share
):
    command = gunicorn_command(
        workers=workers, threads=4, connections=connections, port=8123, log=tmp_path / "log"
    )
    assert command[command.index("--worker-connections") + 1] == share
    assert command[command.index("--worker-class") + 1] == "gthread"
    assert command[command.index("--workers") + 1] == str(workers)
    assert "127.0.0.1:8123" in command and command[-1] == "bench.wsgi:app"


def test_the_nodes_bench_sums_both_nodes_and_judges_the_publish_p99() -> None:
    import argparse

    from bench.nodes import report

    args = argparse.Namespace(posts=100, workers=1, concurrency=8, duration=10.0)
    alone = [measured("home", 5000, 4.0)]
    both = [measured("home", 3000, 5.0), measured("home", 2500, 6.0)]
    quick = report(args, alone, both, [0.02] * 99 + [0.05])
    assert quick["home_rps_one_node"] == 500.0
    assert quick["home_rps_two_nodes"] == [300.0, 250.0]
    assert quick["home_rps_two_nodes_summed"] == 550.0
    assert quick["visible_on_other_node_s"]["max"] == 0.05
    assert quick["pass"] == {"visible_p99_under_1s": True}
    slow = report(args, alone, both, [0.02] * 90 + [1.5] * 10)
    assert slow["visible_on_other_node_s"]["p99"] == 1.5
    assert slow["pass"] == {"visible_p99_under_1s": False}
