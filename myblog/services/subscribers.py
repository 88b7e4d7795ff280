"""Subscribers as the owner sees them: counts, a paged list, a CSV export."""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select

from myblog.extensions import db
from myblog.models import Subscriber

# the export reads subscribers this many at a time
BATCH_SIZE = 500


class SubscriberState(enum.StrEnum):
    CONFIRMED = "confirmed"
    PENDING = "pending"


@dataclass(frozen=True)
class SubscriberCounts:
    confirmed: int
    pending: int

    @property
    def total(self) -> int:
        return self.confirmed + self.pending


def subscriber_counts() -> SubscriberCounts:
    """How many subscribers have confirmed and how many have not yet."""
    confirmed, total = db.session.execute(
        select(func.count(Subscriber.confirmed_at), func.count(Subscriber.id))
    ).one()
    return SubscriberCounts(confirmed=int(confirmed), pending=int(total) - int(confirmed))


def list_subscribers(
    *, page: int, per_page: int, state: SubscriberState | None = None
) -> Pagination:
    """One page of subscribers for the owner, newest first, optionally by state."""
    query = select(Subscriber).order_by(Subscriber.created_at.desc(), Subscriber.id.desc())
    if state is SubscriberState.CONFIRMED:
        query = query.where(Subscriber.confirmed_at.is_not(None))
    elif state is SubscriberState.PENDING:
        query = query.where(Subscriber.confirmed_at.is_(None))
    return db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)


CSV_HEADER = ("email", "status", "subscribed_at", "confirmed_at")
# a spreadsheet runs a cell starting with one of these as a formula
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: formula-like values get a leading apostrophe."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _iso(when: datetime | None) -> str:
    return when.isoformat(timespec="seconds") if when is not None else ""


def subscriber_rows() -> Iterator[tuple[str, str, str, str]]:
    """Every subscriber as (email, status, subscribed at, confirmed at), oldest first."""
    rows = db.session.execute(
        select(Subscriber.email, Subscriber.created_at, Subscriber.confirmed_at)
        .order_by(Subscriber.id)
        .execution_options(yield_per=BATCH_SIZE)
    )
    for email, created_at, confirmed_at in rows:
        state = SubscriberState.CONFIRMED if confirmed_at is not None else SubscriberState.PENDING
        yield (email, state.value, _iso(created_at), _iso(confirmed_at))


def subscribers_csv() -> Iterator[str]:
    """The subscriber list as CSV text, a header line then one line per subscriber."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in subscriber_rows():
        writer.writerow([csv_cell(cell) for cell in row])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
