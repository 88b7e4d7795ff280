"""Where a redirect after login may go: only to a path on this site."""

from __future__ import annotations

from urllib.parse import urlsplit

_FORBIDDEN = set("\\\t\r\n\x00")


def is_safe_next(target: str | None) -> bool:
    """True only for a local path: one leading '/', no '//', no backslash, no scheme or host."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if any(ch in _FORBIDDEN for ch in target) or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
