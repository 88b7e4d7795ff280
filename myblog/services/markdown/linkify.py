"""Bare URLs in Markdown become links as on GitHub, and stop where Chinese text begins."""

from __future__ import annotations

import re
from typing import Any

from linkify_it import LinkifyIt

# East Asian wide/full-width ranges: Han, kana, Hangul, CJK and full-width punctuation.
WIDE_CHAR = re.compile(
    "[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f"
    "\uac00-\ud7a3\uf900-\ufaff\ufe10-\ufe19\ufe30-\ufe6f\uff00-\uff60\uffe0-\uffe6"
    "\U00020000-\U0003fffd]"
)


def _mask_wide(text: str) -> str:
    # One space per code point, so match offsets still index the original text.
    return WIDE_CHAR.sub(" ", text)


# GitHub's autolinks: http(s) URLs, emails, and names starting with "www."; bare names such as
# app.py, author.id or smtp.gmail.com stay text
_AUTOLINK_SCHEMES = frozenset({"http:", "https:", "mailto:"})


def _autolinks(matches: Any) -> Any:
    kept = [
        m
        for m in matches or ()
        if m.schema in _AUTOLINK_SCHEMES or (not m.schema and m.raw.lower().startswith("www."))
    ]
    return kept or None


class CjkAwareLinkify:
    """linkify-it wrapper that treats CJK/full-width characters as the end of a bare URL and
    links only what GitHub links."""

    # Chinese prose runs straight into URLs ("访问https://a.com了解更多"); unmasked, linkify-it
    # swallows the following words into a punycoded host, or rejects "example.com了解" outright.
    # The cost: a bare URL with a CJK path is cut there (write <url> or [text](url) for those).

    def __init__(self) -> None:
        self._inner: Any = LinkifyIt()

    def pretest(self, text: str) -> bool:
        return bool(self._inner.pretest(text))

    def test(self, text: str) -> bool:
        return self.match(text) is not None

    def match(self, text: str) -> Any:
        return _autolinks(self._inner.match(_mask_wide(text)))

    def match_at_start(self, text: str) -> Any:
        found = self._inner.match_at_start(_mask_wide(text))
        kept = _autolinks([found] if found else None)
        return kept[0] if kept else None
