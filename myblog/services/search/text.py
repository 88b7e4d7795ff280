"""Words for the search index and for queries, cut the same way on both databases.

The database's own tokenizer never decides what a word is: this module does, and both back
ends receive tokens that are already cut and folded.
- A word is a run of letters and digits (any script but CJK), folded: NFKC, case-folded,
  accents removed. "Café", "CAFE" and "ｃａｆｅ" are all `cafe`.
- A run of CJK characters (Han, kana, Hangul) has no spaces to cut at, so it is indexed as
  its overlapping bigrams, in order ("搜索引擎" → 搜索 索引 引擎), followed by each of its
  characters once. A one-character query matches a character, a two-character query a bigram,
  and a longer one the phrase of its bigrams, which only adjacent bigrams of one run match:
  that is, the exact string.
- A query is parsed into `Term`s only: words (matched by prefix), CJK strings and quoted
  phrases. Nothing the user typed reaches the database as query syntax.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

MAX_QUERY = 200  # characters a query may have
MAX_TERMS = 10  # terms a query keeps; the rest are ignored
MAX_INDEXED = 100_000  # characters of a post's text that are indexed

_CJK = (
    "\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3040-\u30ff\u3100-\u312f\u31a0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\uff66-\uff9f"
    "\U00020000-\U0003134f"
)
# group 1: a CJK run; group 2: a word (letters and digits, no underscore, no CJK)
_TOKEN = re.compile(rf"([{_CJK}]+)|([^\W_{_CJK}]+)")
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|h[1-6]|li|ul|ol|dl|dt|dd|pre|br|hr|tr|td|th|table|thead|tbody|blockquote"
    r"|figure|figcaption|section|details|summary|math|img)\b[^>]*>",
    re.IGNORECASE,
)
_TAG = re.compile(r"<[^>]*>")


def fold_word(word: str) -> str:
    """A word as the index holds it: compatibility forms unified, case-folded, no accents."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", word).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold_cjk(run: str) -> str:
    """A CJK run as the index holds it: each character in its compatibility form, one for one
    (so that positions in the folded run are positions in the text)."""
    out = []
    for char in run:
        folded = unicodedata.normalize("NFKC", char)
        out.append(folded if len(folded) == 1 else char)
    return "".join(out)


def bigrams(run: str) -> list[str]:
    """The overlapping pairs of a CJK run; a single character stands for itself."""
    if len(run) < 2:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def spans(text: str) -> Iterator[tuple[int, int, str, bool]]:
    """Each word or CJK run of the text: start, end, folded form, and whether it is CJK."""
    for match in _TOKEN.finditer(text):
        if match.group(1) is not None:
            yield match.start(), match.end(), fold_cjk(match.group(1)), True
        else:
            folded = fold_word(match.group(2))
            if folded:
                yield match.start(), match.end(), folded, False


def index_tokens(text: str) -> list[str]:
    """The tokens a field is indexed as: words and CJK bigrams in order, then the CJK
    characters of the field once each (what one-character queries match)."""
    tokens: list[str] = []
    characters: dict[str, None] = {}
    for _start, _end, folded, cjk in spans(text):
        if cjk:
            tokens.extend(bigrams(folded))
            if len(folded) > 1:
                characters.update(dict.fromkeys(folded))
        else:
            tokens.append(folded)
    tokens.extend(characters)
    return tokens


def plain_text(body_html: str) -> str:
    """A post's rendered HTML as one line of plain text (what is indexed and quoted)."""
    text = _TAG.sub("", _BLOCK_TAG.sub(" ", body_html))
    return " ".join(html.unescape(text).split())[:MAX_INDEXED]


@dataclass(frozen=True)
class Term:
    """One thing every result must contain.

    `tokens` are index tokens that must follow one another; `prefix`: the last may be longer.
    `needles` are the folded strings a snippet highlights, each with whether it is CJK.
    """

    tokens: tuple[str, ...]
    prefix: bool
    needles: tuple[tuple[str, bool], ...]


class QueryProblem(ValueError):
    """Why a query cannot be searched: empty, or too long (the message says which)."""


@dataclass(frozen=True)
class Query:
    """A parsed query: what the user typed (trimmed) and its terms."""

    text: str
    terms: tuple[Term, ...]


def _terms_of(segment: str, *, phrase: bool) -> list[Term]:
    found = list(spans(segment))
    if phrase and len(found) > 1:
        tokens = tuple(t for _s, _e, word, cjk in found for t in (bigrams(word) if cjk else [word]))
        needles = tuple((folded, cjk) for _s, _e, folded, cjk in found)
        return [Term(tokens, False, needles)]
    return [
        Term(tuple(bigrams(folded)) if cjk else (folded,), not cjk and not phrase, ((folded, cjk),))
        for _s, _e, folded, cjk in found
    ]


def parse_query(raw: str) -> Query:
    """Parse what a reader typed into terms: words match by prefix, "quoted words" as a phrase,
    CJK strings exactly; every other character only separates. Raises QueryProblem."""
    text = " ".join(raw.split())
    if not text:
        raise QueryProblem("empty")
    if len(text) > MAX_QUERY:
        raise QueryProblem("too long")
    terms: list[Term] = []
    parts = text.split('"')
    for i, part in enumerate(parts):
        # odd parts lie between quotes; an unbalanced last quote quotes nothing
        quoted = i % 2 == 1 and i < len(parts) - 1
        terms.extend(_terms_of(part, phrase=quoted))
    unique = list(dict.fromkeys(terms))[:MAX_TERMS]
    return Query(text, tuple(unique))
