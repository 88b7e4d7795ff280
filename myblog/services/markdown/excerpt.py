"""Excerpts: the opening paragraphs of a post as plain text, cut where a reader would stop.

What stands for a post in listings, feeds and `<meta name="description">` is its first real
prose: paragraphs, at the top level or quoted. Headings, tables, code, images, raw HTML,
footnotes and front matter are left out, so they never run together into one line. Only when
the post has no such paragraph do list items stand in.

The cut, when the paragraphs are longer than the excerpt may be, falls at the end of a
paragraph or a sentence when one lies in the second half of the room (nothing is added: the
sentence is whole); else mid-sentence, marked with "…": between words in Latin script, at a
clause mark (，、；：) in Chinese, which has no spaces, or after the last character that fits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from markdown_it.token import Token

from myblog.services.markdown.engine import CLEAN_CONTENT_TAGS, is_wide, parse

ELLIPSIS = "…"

# a block of YAML (---) or TOML (+++) settings at the very top, as static site generators write
_FRONT_MATTER = re.compile(
    r"\A(?P<fence>---|\+\+\+)[ \t]*\n(?=[ \t]*[\w-]+[ \t]*[:=])(?:.*?\n)??"
    r"(?:(?P=fence)|\.\.\.)[ \t]*(?:\n|\Z)",
    re.S,
)
# a paragraph of `key: value` lines with a front-matter key ("Date: 2024-05-01"), before any prose
_SETTING_LINE = re.compile(
    r"(?i)^(?:title|date|updated|lastmod|author|authors|tags?|categories|category|slug|summary"
    r"|description|draft|layout|lang|language|keywords|status|published|permalink|excerpt"
    r"|cover|image|toc)[ \t]*:[ \t]*\S"
)
# raw HTML whose content is not text (a <script> in a paragraph, say)
_HIDDEN_OPEN = re.compile(r"(?i)<(" + "|".join(sorted(CLEAN_CONTENT_TAGS)) + r")\b")
_HIDDEN_CLOSE = re.compile(r"(?i)</(" + "|".join(sorted(CLEAN_CONTENT_TAGS)) + r")\s*>")

_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s|$)|[。！？…][”’」』）】]*")
_CLAUSE_MARK = "，、；：,;:"
_TRAILING = " \t\n,.;:!?、，。；：！？-—"


def make_excerpt(text: str, length: int = 200) -> str:
    """Return a plain-text (not HTML-escaped) excerpt of Markdown `text`, at most `length` chars."""
    if length <= 0:
        return ""
    prose, listed = _paragraphs(parse(_FRONT_MATTER.sub("", text, count=1)), length)
    return _cut(prose or listed, length)


def _paragraphs(tokens: Sequence[Token], length: int) -> tuple[list[str], list[str]]:
    """The plain text of the prose paragraphs, and of those inside list items, in order, until
    there is more prose than `length` characters."""
    prose: list[str] = []
    listed: list[str] = []
    lists = footnotes = 0
    for index, token in enumerate(tokens):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            lists += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists -= 1
        elif token.type == "footnote_block_open":
            footnotes += 1
        elif token.type == "footnote_block_close":
            footnotes -= 1
        elif token.type == "paragraph_open" and not footnotes:
            plain = _plain(tokens[index + 1].children or [])
            if not plain or (not prose and _is_settings(tokens[index + 1].content)):
                continue
            (listed if lists else prose).append(plain)
            if sum(map(len, prose)) > length:
                break  # enough to cut from
    return prose, listed


def _is_settings(source: str) -> bool:
    return all(_SETTING_LINE.match(line.strip()) for line in source.splitlines())


def _plain(children: Sequence[Token]) -> str:
    """The text a reader sees in an inline run: no images, footnote marks or raw HTML."""
    return " ".join("".join(_pieces(children)).split())


def _pieces(children: Sequence[Token]) -> Iterator[str]:
    hidden = False
    for index, child in enumerate(children):
        if child.type == "html_inline":
            if _HIDDEN_OPEN.match(child.content):
                hidden = True
            elif _HIDDEN_CLOSE.match(child.content):
                hidden = False
        elif hidden:
            continue
        elif child.type in ("text", "code_inline"):
            yield child.content
        elif child.type in ("softbreak", "hardbreak"):
            # a line break inside Chinese prose joins the lines; between words it is a space
            before = children[index - 1].content[-1:] if index else ""
            after = children[index + 1].content[:1] if index + 1 < len(children) else ""
            yield "" if is_wide(before) or is_wide(after) else " "


def _cut(paragraphs: list[str], length: int) -> str:
    text = " ".join(paragraphs)
    if len(text) <= length:
        return text
    # a whole paragraph or sentence, when one ends in the second half of the room
    ends = _paragraph_ends(paragraphs)
    ends.extend(match.end() for match in _SENTENCE_END.finditer(text[: length + 1]))
    whole = [end for end in ends if length // 2 <= end <= length]
    if whole:
        return text[: max(whole)].rstrip()
    limit = length - len(ELLIPSIS)
    return text[: _mid_sentence(text, limit)].rstrip(_TRAILING) + ELLIPSIS


def _paragraph_ends(paragraphs: list[str]) -> list[int]:
    ends, position = [], 0
    for paragraph in paragraphs:
        position += len(paragraph)
        ends.append(position)
        position += 1  # the space between paragraphs
    return ends


def _is_word_char(char: str) -> bool:
    return char.isalnum() and not is_wide(char)


def _mid_sentence(text: str, limit: int) -> int:
    """Where to cut a sentence to keep at most `limit` characters."""
    if limit <= 0:
        return 0
    before, after = text[limit - 1], text[limit]
    if _is_word_char(before) and _is_word_char(after):
        space = text.rfind(" ", 0, limit)
        # back off to a space only if that keeps most of the text (one very long word is cut)
        return space if space > limit // 2 else limit
    if is_wide(before) and is_wide(after):
        marks = [text.rfind(mark, limit // 2, limit) for mark in _CLAUSE_MARK]
        best = max(marks)
        return best if best > 0 else limit
    return limit
