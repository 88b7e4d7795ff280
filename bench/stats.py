"""Pure arithmetic and formatting of bench results: percentiles, verdicts, tables."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

MIN_FLOOR_SHARE = 0.30  # each page serves at least 30% of the floor's requests per second
MAX_P99_RATIO = 1.25  # p99 at the large data set at most 1.25x p99 at the small one
MAX_WORKER_RSS_MB = 80.0  # resident memory of each gunicorn worker after the run


@dataclass(frozen=True)
class Measurement:
    """What one load run against one target produced."""

    label: str
    path: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float = math.nan  # server CPU (all workers) per request: holds under a busy machine
    others: float = math.nan  # share of the machine's CPU that other processes took meanwhile
    goal: float = MIN_FLOOR_SHARE  # the share of the floor's req/s to reach (NaN: none)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values: floats rounded, a missing figure as None."""
        data = {**asdict(self), "rps": self.rps}
        return {
            key: (None if math.isnan(value) else round(value, 3))
            if isinstance(value, float)
            else value
            for key, value in data.items()
        }


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) of the values, interpolating linearly between ranks."""
    if not values:
        return math.nan
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0..100, not {q}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarise(
    label: str, path: str, latencies_s: Sequence[float], *, seconds: float, errors: int = 0
) -> Measurement:
    """Turn raw per-request latencies (seconds) into a Measurement."""
    return Measurement(
        label=label,
        path=path,
        requests=len(latencies_s),
        errors=errors,
        seconds=seconds,
        p50_ms=percentile(latencies_s, 50) * 1000,
        p99_ms=percentile(latencies_s, 99) * 1000,
    )


def with_cpu(measurement: Measurement, cpu_seconds: float, others: float = math.nan) -> Measurement:
    """The measurement with the server's CPU per request and the others' CPU share filled in."""
    per_request = cpu_seconds * 1000 / measurement.requests if measurement.requests else math.nan
    return replace(measurement, cpu_ms=per_request, others=others)


def floor_share(page: Measurement, floor: Measurement) -> float:
    """The page's requests per second as a fraction of the floor's."""
    return page.rps / floor.rps if floor.rps > 0 else 0.0


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _cell(value: float, digits: int = 1) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def _render(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    rows = [list(headers)] + [list(row) for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        # first column left-aligned (names), the rest right-aligned (numbers)
        numbers = [cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True)]
        cells = [row[0].ljust(widths[0]), *numbers]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(rows[0]), rule, *(line(row) for row in rows[1:])])


def load_table(measurements: Sequence[Measurement], floor: Measurement) -> str:
    """Path, req/s, p50, p99, share of the floor and its verdict, one row per target."""
    rows = []
    for m in measurements:
        share = floor_share(m, floor)
        no_goal = m is floor or math.isnan(m.goal)
        target = "" if no_goal else f"≥{m.goal:.0%} {verdict(share >= m.goal)}"
        rows.append(
            [
                m.path,
                f"{m.rps:.0f}",
                _cell(m.p50_ms, 2),
                _cell(m.p99_ms, 2),
                f"{share * 100:.0f}%",
                target,
                _cell(m.cpu_ms, 2),
                "-" if math.isnan(m.others) else f"{m.others * 100:.0f}%",
                str(m.errors),
            ]
        )
    headers = [
        "path",
        "req/s",
        "p50 ms",
        "p99 ms",
        "% floor",
        "goal",
        "cpu ms/req",
        "others cpu",
        "errors",
    ]
    return _render(headers, rows)


def rss_table(rss_mb: dict[int, float]) -> str:
    """Each worker's resident memory and whether it is within the target."""
    rows = [
        [str(pid), f"{mb:.1f}", verdict(mb <= MAX_WORKER_RSS_MB)]
        for pid, mb in sorted(rss_mb.items())
    ]
    return _render(["worker pid", "RSS MB", f"≤{MAX_WORKER_RSS_MB:.0f} MB"], rows)


def _ratio(large: float, small: float) -> float | None:
    if math.isnan(large) or math.isnan(small) or small <= 0:
        return None
    return round(large / small, 2)


def p99_ratios(
    small: Sequence[Measurement], large: Sequence[Measurement], *, reference: str = ""
) -> list[dict[str, Any]]:
    """p99 at the large data set over p99 at the small one, per label (no verdict for reference)."""
    by_label = {m.label: m for m in small}
    ratios = []
    for m in large:
        base = by_label.get(m.label)
        if base is None or not base.p99_ms > 0:
            continue
        ratio = m.p99_ms / base.p99_ms
        ratios.append(
            {
                "label": m.label,
                "p99_small_ms": round(base.p99_ms, 2),
                "p99_large_ms": round(m.p99_ms, 2),
                "ratio": round(ratio, 2),
                # CPU per request barely feels other processes: a steadier view of the same thing
                "cpu_ratio": _ratio(m.cpu_ms, base.cpu_ms),
                "pass": None if m.label == reference else ratio <= MAX_P99_RATIO,
            }
        )
    return ratios


def scale_table(ratios: Sequence[dict[str, Any]], small_posts: int, large_posts: int) -> str:
    """The p99 ratio between the two data sizes, per target, with its verdict."""
    rows = [
        [
            r["label"],
            f"{r['p99_small_ms']:.2f}",
            f"{r['p99_large_ms']:.2f}",
            f"{r['ratio']:.2f}",
            "" if r["pass"] is None else verdict(r["pass"]),
            "-" if r.get("cpu_ratio") is None else f"{r['cpu_ratio']:.2f}",
        ]
        for r in ratios
    ]
    headers = [
        "page",
        f"p99 ms @{small_posts}",
        f"p99 ms @{large_posts}",
        "ratio",
        f"≤{MAX_P99_RATIO}x",
        "cpu ms/req ratio",
    ]
    return _render(headers, rows)
