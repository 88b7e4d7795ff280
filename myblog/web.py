"""Request helpers shared by the blueprints: ids and page numbers, filters, where a request
came from."""

from __future__ import annotations

import enum
from typing import Any, TypeVar

from flask import abort, request
from werkzeug.exceptions import NotFound
from werkzeug.routing import BaseConverter, Map

E = TypeVar("E", bound=enum.StrEnum)
T = TypeVar("T")

# nine digits: far past any real page, and never an integer the database cannot hold
MAX_PAGE_DIGITS = 9
# the largest row id an address or a form may name: PostgreSQL's INTEGER (SQLite's is wider);
# a larger number would make the database raise instead of finding nothing
MAX_ID = 2**31 - 1


def id_value(raw: str) -> int | None:
    """`raw` as a row id (1 to MAX_ID) when it is one, else None: for ids in forms and query
    strings, which name nothing when they are not ids."""
    if raw.isascii() and raw.isdigit() and len(raw) <= 20 and 1 <= int(raw) <= MAX_ID:
        return int(raw)
    return None


class IdOutOfRange(NotFound):
    """A number in the address that no row can have: 404 on pages, 400 on the API (errors.py)."""


class IdConverter(BaseConverter):
    """`<id:post_id>`: a row id, 1 to MAX_ID; `<id(min=1970, max=9999):year>` for other bounds.

    Every route with a number in its path uses it (the factory registers it as "id"), so no
    number reaches the database out of its range. Digits out of range, or a negative number,
    raise IdOutOfRange; anything else is no match (a 404 from routing).
    """

    regex = r"-?\d+"
    weight = 50
    part_isolating = True

    def __init__(self, map: Map, min: int = 1, max: int = MAX_ID) -> None:
        super().__init__(map)
        self.min, self.max = min, max

    def to_python(self, value: str) -> int:
        # the length check first: int() of thousands of digits is slow, then refused
        if len(value) > 20 or not self.min <= int(value) <= self.max:
            raise IdOutOfRange()
        return int(value)

    def to_url(self, value: Any) -> str:
        return str(int(value))


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
