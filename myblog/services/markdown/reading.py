"""What the post page makes of a post's stored HTML: how long it takes to read (Chinese,
Japanese and Korean characters and words of other scripts counted apart, at the pace each is
read), and the table of contents taken out for the side column."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Hashable

# characters a minute for CJK text (each character about a word's worth), words a minute for
# the rest: the middle of the usual 300-400 and 200-250 ranges for reading on a screen
CJK_PER_MINUTE = 350
WORDS_PER_MINUTE = 225

# Han (with extension A and compatibility ideographs), kana, Hangul syllables
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]")
_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*")
# the table of contents repeats the headings; a heading's "#" anchor is not text
_SKIPPED = re.compile(r'<nav class="toc".*?</nav>|<a class="header-anchor"[^>]*>.*?</a>', re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def reading_counts(body_html: str) -> tuple[int, int]:
    """(CJK characters, other words) in a post's text."""
    text = html.unescape(_TAG.sub(" ", _SKIPPED.sub(" ", body_html)))
    cjk = len(_CJK.findall(text))
    words = len(_WORD.findall(_CJK.sub(" ", text)))
    return cjk, words


def reading_minutes(body_html: str) -> int:
    """Whole minutes to read a post (at least 1): CJK characters at CJK_PER_MINUTE plus other
    words at WORDS_PER_MINUTE, rounded up."""
    cjk, words = reading_counts(body_html)
    return max(1, math.ceil(cjk / CJK_PER_MINUTE + words / WORDS_PER_MINUTE))


# minutes by a key that changes with the text (the post's id and last change): a long note takes
# a few milliseconds to count, and the same posts are read again and again
_MINUTES: dict[Hashable, int] = {}
_MINUTES_KEPT = 2048


def remembered_reading_minutes(key: Hashable, body_html: str) -> int:
    """reading_minutes(body_html), remembered under `key` in this process."""
    minutes = _MINUTES.get(key)
    if minutes is None:
        if len(_MINUTES) >= _MINUTES_KEPT:
            _MINUTES.clear()
        minutes = _MINUTES[key] = reading_minutes(body_html)
    return minutes


_LEADING_TOC = re.compile(r'\A\s*(<nav class="toc"[^>]*>.*?</nav>)\s*', re.DOTALL)


def split_toc(body_html: str) -> tuple[str, str]:
    """(table of contents, rest of the body) when the body starts with the table of contents
    put there for a post with enough headings; ("", body) otherwise. A `[TOC]` marker further
    down keeps its place in the text."""
    match = _LEADING_TOC.match(body_html)
    if match is None:
        return "", body_html
    return match[1], body_html[match.end() :]
