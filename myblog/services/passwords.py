"""Rules for a new password: long enough, and not on the bundled list of common passwords."""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext

MIN_PASSWORD_LENGTH = 8
# Django's list of 20,000 common passwords (lower case), vendored: see myblog/data/README.md
COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt.gz"
# messages, translated when shown (str() of them reads the page's language)
TOO_SHORT = lazy_gettext(
    "The password must be at least %(num)s characters.", num=MIN_PASSWORD_LENGTH
)
TOO_COMMON = lazy_gettext(
    "This password is one of the most common ones, which attackers try first. Choose another."
)


@cache
def _common_passwords() -> frozenset[str]:
    """The list, read once per process on the first new password (only those long enough to
    be accepted otherwise are kept: about 8,000 of the 20,000)."""
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        words = (line.strip() for line in lines)
        return frozenset(word for word in words if len(word) >= MIN_PASSWORD_LENGTH)


def is_common(password: str) -> bool:
    """Whether the password (ignoring case and surrounding spaces) is on the common list."""
    return password.strip().lower() in _common_passwords()


def password_problem(password: str) -> str | None:
    """Why this new password is refused, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return str(TOO_SHORT)
    if is_common(password):
        return str(TOO_COMMON)
    return None
