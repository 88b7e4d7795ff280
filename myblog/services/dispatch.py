"""The background pass run every few seconds by whichever sender is configured."""

from __future__ import annotations

from datetime import datetime

from myblog.services.outbox import DeliveryReport, SendFunction, run_once


def periodic_pass(
    send: SendFunction | None = None, *, now: datetime | None = None
) -> DeliveryReport:
    """Queue what time has made due, then deliver the outbox's due mail."""
    return run_once(send, now=now)
