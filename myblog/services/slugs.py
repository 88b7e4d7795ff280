"""URL slugs: readable, ASCII, unique; Chinese titles become pinyin."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from myblog.services.pinyin import romanize

_NON_WORD = re.compile(r"[^a-z0-9]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
MAX_SLUG_LENGTH = 80


def slugify(text: str, *, fallback: str = "post", max_length: int = MAX_SLUG_LENGTH) -> str:
    """Turn a title into a lowercase ASCII slug; Han characters become pinyin syllables."""
    if _CJK.search(text):
        text = " ".join(romanize(text))
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _NON_WORD.sub("-", ascii_text.lower()).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug or fallback


def unique_slug(
    base: str, exists: Callable[[str], bool], *, max_length: int = MAX_SLUG_LENGTH
) -> str:
    """Return `base`, or `base-2`, `base-3`, … — the first one `exists` says is free."""
    if not exists(base):
        return base
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = base[: max_length - len(suffix)].rstrip("-") + suffix
        if not exists(candidate):
            return candidate
        n += 1
