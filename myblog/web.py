"""Request helpers shared by the blueprints: page numbers, filters, where a request came from."""

from __future__ import annotations

import enum
from typing import TypeVar

from flask import abort, request

E = TypeVar("E", bound=enum.StrEnum)
T = TypeVar("T")

# nine digits: far past any real page, and never an integer the database cannot hold
MAX_PAGE_DIGITS = 9


def page_arg(*, invalid: int = 404) -> int:
    """The ?page= number: a positive integer of at most nine digits, else `invalid` (404 on
    pages, 400 on the API); never a 500."""
    raw = request.args.get("page", "1")
    # isdigit() alone also accepts "²", which int() rejects
    if not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_PAGE_DIGITS or int(raw) < 1:
        abort(invalid, description="page must be a positive integer." if invalid == 400 else None)
    return int(raw)


def filter_arg(name: str, choices: type[E], *, default: str = "all") -> E | None:
    """A list page's ?<name>= filter: None for "all", 404 for a value that is not a choice."""
    raw = request.args.get(name, default)
    if raw == "all":
        return None
    if raw not in choices.__members__.values():
        abort(404)
    return choices(raw)


def or_404(found: T | None) -> T:
    """`found`, or a 404 when there is nothing."""
    if found is None:
        abort(404)
    return found


def is_same_origin() -> bool:
    """True unless the browser says this request came from another site.

    Fetch Metadata (`Sec-Fetch-Site`) where the browser sends it, else `Origin`, else `Referer`;
    a request with none of them did not come from a cross-site page in a browser.
    """
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    own = request.host_url.rstrip("/")
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin == own
    referer = request.headers.get("Referer")
    return referer is None or referer == own or referer.startswith(own + "/")
