"""Highlighted snippets, built from plain text: the text is escaped first, then each match is
wrapped in <mark>, so neither the post nor the query can put markup on the page."""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup, escape

from myblog.services.search.text import Term, spans

SNIPPET_CHARS = 220  # about how long a snippet is
_BEFORE = 60  # characters shown before the first match


def _needles(terms: Iterable[Term]) -> list[tuple[str, bool, bool]]:
    """(folded text, is CJK, whole word only) for every string the terms should highlight."""
    found = []
    for term in terms:
        for text, cjk in term.needles:
            found.append((text, cjk, not term.prefix and not cjk))
    return found


def _matches(text: str, terms: Iterable[Term], stop: int | None = None) -> list[tuple[int, int]]:
    """Where the terms occur in the text, as (start, end) character spans, in order; with
    `stop`, only the first match (and everything up to `stop` characters past it)."""
    needles = _needles(terms)
    found: list[tuple[int, int]] = []
    limit: int | None = None
    for start, end, folded, cjk in spans(text):
        if limit is not None and start > limit:
            break
        for needle, needle_cjk, whole in needles:
            if cjk and needle_cjk:
                at = folded.find(needle)
                while at >= 0:
                    found.append((start + at, start + at + len(needle)))
                    at = folded.find(needle, at + 1)
            elif not (cjk or needle_cjk) and (
                folded == needle or not whole and folded.startswith(needle)
            ):
                found.append((start, end))
        if found and stop is not None and limit is None:
            limit = found[0][0] + stop
    return _merged(found)


def _merged(found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _marked(text: str, found: list[tuple[int, int]], offset: int = 0) -> Markup:
    out = Markup()
    position = 0
    for start, end in found:
        start, end = max(start - offset, position), min(end - offset, len(text))
        if start >= end:
            continue
        out += escape(text[position:start]) + Markup("<mark>") + escape(text[start:end])
        out += Markup("</mark>")
        position = end
    return out + escape(text[position:])


def highlight(text: str, terms: Iterable[Term]) -> Markup:
    """The whole text, escaped, with every match marked (for titles)."""
    terms = list(terms)
    return _marked(text, _matches(text, terms))


def snippet(text: str, terms: Iterable[Term], length: int = SNIPPET_CHARS) -> Markup:
    """About `length` characters of the text around its first match, escaped, matches marked;
    the text's beginning when nothing in it matches (the title or a tag did)."""
    terms = list(terms)
    found = _matches(text, terms, stop=length)
    start = 0
    if found and found[0][0] > _BEFORE:
        start = found[0][0] - _BEFORE
        space = text.rfind(" ", start - 15, start)
        start = space + 1 if space > 0 else start
    end = min(len(text), start + length)
    if end < len(text):
        space = text.rfind(" ", end - 15, end)
        end = space if space > start else end
    inside = [(s, e) for s, e in found if s < end and e > start]
    body = _marked(text[start:end], inside, offset=start)
    before = Markup("… ") if start else Markup()
    return before + body + (Markup(" …") if end < len(text) else Markup())
