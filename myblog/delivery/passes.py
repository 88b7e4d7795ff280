"""The background pass run every few seconds by whichever sender is configured."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from flask import current_app

from myblog.delivery import smtp
from myblog.extensions import db
from myblog.services import events, outbox_delivery
from myblog.services.announcements import announce_due_posts
from myblog.services.outbox_delivery import BATCH_SIZE, DeliveryReport, SendFunction


def periodic_pass(
    send: SendFunction | None = None,
    *,
    now: datetime | None = None,
    keep_going: Callable[[], bool] | None = None,
) -> DeliveryReport:
    """Queue what time has made due, then deliver the outbox's due mail (with SMTP unless told
    otherwise); the batch's unsent rows are released as soon as `keep_going` turns false (the
    process is stopping)."""
    _announce_due_posts(now)
    _prune_live_events()
    return outbox_delivery.run_once(send or smtp.send_email, now=now, keep_going=keep_going)


def full_batch(report: DeliveryReport) -> bool:
    """The pass claimed a whole batch: more may be due, so the next pass should follow at once."""
    return report.claimed >= BATCH_SIZE


def _announce_due_posts(now: datetime | None) -> None:
    # scheduled posts that went live since the last pass mail their subscribers; a failure
    # here is logged and must not hold up delivering the mail already queued
    try:
        announced = announce_due_posts(now)
    except Exception:
        db.session.rollback()
        current_app.logger.exception("announcing new posts failed")
        return
    if announced:
        current_app.logger.info("announced posts %s to their subscribers", announced)


# the live events' log is pruned by this pass, which runs wherever mail is sent, at most once
# every PRUNE_EVERY seconds per process
PRUNE_EVERY = 600.0
_last_prune = {"at": -PRUNE_EVERY}


def _prune_live_events() -> None:
    if time.monotonic() - _last_prune["at"] < PRUNE_EVERY:
        return
    _last_prune["at"] = time.monotonic()
    try:
        pruned = events.prune()
    except Exception:
        db.session.rollback()
        current_app.logger.exception("pruning the live events failed")
        return
    if pruned:
        current_app.logger.info("pruned %d live events", pruned)
