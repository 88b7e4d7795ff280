"""Judging a fault run: what the visitors saw in each phase, what the database kept, what the
SMTP sink received, and how long each part took to come back."""

from __future__ import annotations

import argparse
import time
from collections import Counter
from typing import Any

from sqlalchemy import text

from bench.faults.load import Outcome, Record
from bench.faults.parts import SmtpSink
from bench.faults.setup import Database


def drain(database: Database, sink: SmtpSink, seconds: float) -> float:
    """Wait until no outbox row is waiting (or `seconds` pass); returns how long it took."""
    engine = database.engine()
    began = time.monotonic()
    try:
        while time.monotonic() - began < seconds:
            with engine.connect() as conn:
                waiting = conn.execute(
                    text(
                        "SELECT count(*) FROM outbox_emails WHERE status IN ('pending', 'sending')"
                    )
                ).scalar_one()
            if waiting == 0:
                break
            time.sleep(1)
    finally:
        engine.dispose()
    return time.monotonic() - began


def _windows(events: list[dict]) -> dict[str, tuple[float, float]]:
    """When each fault was in force: an outage from its stop to its start, a killed web
    worker for the moment of the kill (what was in flight on it is lost)."""
    at = {e["event"]: e["at"] for e in events}
    windows = {}
    for name, start, end in (
        ("redis", "redis stops", "redis starts"),
        ("db", "postgresql stops", "postgresql starts"),
    ):
        if start in at:
            windows[name] = (at[start], at.get(end, float("inf")))
    if "a web worker is killed" in at:
        killed = at["a web worker is killed"]
        windows["killed worker"] = (killed, killed + 0.5)
    return windows


def _phase(outcome: Outcome, events: list[dict]) -> str:
    """The fault, if any, in force while a request was on its way (sent before a fault began
    but answered after it counts as during it)."""
    for name, (start, end) in _windows(events).items():
        if outcome.at < end and outcome.at + outcome.seconds >= start:
            return name
    return "normal"


def _requests(record: Record, events: list[dict]) -> dict[str, Any]:
    by_phase: dict[str, Counter[str]] = {}
    for outcome in record.outcomes:
        status = "connection error" if outcome.status is None else f"{outcome.status // 100}xx"
        if outcome.status in (500, 502, 503, 504):
            status = str(outcome.status)
        by_phase.setdefault(_phase(outcome, events), Counter())[status] += 1
    return {phase: dict(counts) for phase, counts in by_phase.items()}


def _refusals(record: Record, events: list[dict]) -> list[dict[str, Any]]:
    """Every 4xx and 5xx answer sent outside an outage, and every failed connection: each one
    needs a reason."""
    return [
        {"at": round(o.at, 2), "took": round(o.seconds, 2), "kind": o.kind, "status": o.status}
        for o in record.outcomes
        if _phase(o, events) == "normal" and (o.status is None or o.status >= 400)
    ]


def _recovery(record: Record, events: list[dict]) -> dict[str, Any]:
    """Seconds from the end of each fault to the first good answer of each kind."""
    ends = {
        "redis": "redis starts",
        "postgresql": "postgresql starts",
        "web worker": "a web worker is killed",
        "rq worker": "an rq worker starts",
    }
    found: dict[str, Any] = {}
    for fault, event in ends.items():
        at = next((e["at"] for e in events if e["event"] == event), None)
        if at is None:
            continue
        found[fault] = {
            kind: round(first - at, 2)
            for kind in ("read", "comment", "publish")
            if (
                first := min(
                    (
                        o.at + o.seconds
                        for o in record.outcomes
                        if o.kind == kind and o.at >= at and o.status and o.status < 400
                    ),
                    default=None,
                )
            )
            is not None
        }
    return found


def _writes(record: Record, database: Database) -> dict[str, Any]:
    accepted = {
        kind: [o.key for o in record.outcomes if o.kind == kind and o.key]
        for kind in ("comment", "publish")
    }
    engine = database.engine()
    try:
        with engine.connect() as conn:
            comments = set(conn.execute(text("SELECT body FROM comments")).scalars())
            titles = set(conn.execute(text("SELECT title FROM posts")).scalars())
    finally:
        engine.dispose()
    return {
        "comments accepted": len(accepted["comment"]),
        "comments lost": sum(1 for key in accepted["comment"] if key not in comments),
        "posts accepted": len(accepted["publish"]),
        "posts lost": sum(1 for key in accepted["publish"] if key not in titles),
    }


def _mail(database: Database, sink: SmtpSink) -> dict[str, Any]:
    engine = database.engine()
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT message_id, status FROM outbox_emails")).all()
    finally:
        engine.dispose()
    received = sink.counts()
    queued = {message_id for message_id, _ in rows}
    return {
        "queued": len(queued),
        "delivered": sum(1 for m in queued if received[m]),
        "lost": sum(1 for m in queued if not received[m]),
        "duplicated": sum(count - 1 for count in received.values() if count > 1),
        "not sent by the end": Counter(status for _, status in rows if status != "sent"),
    }


def report(
    args: argparse.Namespace,
    record: Record,
    events: list[dict],
    database: Database,
    sink: SmtpSink,
    drained: float,
) -> dict[str, Any]:
    """Everything the run showed, as one JSON-able dict."""
    return {
        "settings": {k: str(v) for k, v in vars(args).items()},
        "events": events,
        "requests": len(record.outcomes),
        "answers by phase": _requests(record, events),
        "refused outside the outages": _refusals(record, events),
        "writes": _writes(record, database),
        "mail": _mail(database, sink),
        "recovery seconds": _recovery(record, events),
        "drain seconds": round(drained, 1),
    }


def print_report(found: dict[str, Any]) -> None:
    print(f"\nrequests: {found['requests']}")
    for phase, counts in found["answers by phase"].items():
        print(f"  {phase:7} " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    for refused in found["refused outside the outages"]:
        print(f"  outside the outages: {refused}")
    print("writes: " + ", ".join(f"{k}: {v}" for k, v in found["writes"].items()))
    mail = found["mail"]
    print("mail: " + ", ".join(f"{k}: {v}" for k, v in mail.items()))
    for fault, kinds in found["recovery seconds"].items():
        print(f"recovered after {fault}: " + ", ".join(f"{k} {v} s" for k, v in kinds.items()))
    print(f"the rest was delivered {found['drain seconds']} s after the load stopped")
    for process, sizes in found.get("worker rss mb", {}).items():
        print(f"RSS of {process}: " + ", ".join(f"{mb} MB" for mb in sizes))
