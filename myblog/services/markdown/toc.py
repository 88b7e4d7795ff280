"""A post's table of contents: where `[TOC]` stands, else at the top of a post with three or
more headings; one link per heading, nested by level."""

from __future__ import annotations

from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markupsafe import escape

MARKER = "[toc]"
MIN_HEADINGS = 3  # fewer, and the post is short enough to see at a glance


def toc_rule(state: StateCore) -> None:
    """A core rule after the heading anchors: put the table of contents in the token stream."""
    headings = _headings(state.tokens)
    markers = [
        i
        for i, token in enumerate(state.tokens)
        if token.type == "inline"
        and token.content.strip().lower() == MARKER
        and i > 0
        and state.tokens[i - 1].type == "paragraph_open"
    ]
    nav = Token("html_block", "", 0, content=_nav(headings) if headings else "")
    for i in reversed(markers):  # a marker paragraph becomes the list (or nothing, if empty)
        state.tokens[i - 1 : i + 2] = [nav]
    if not markers and len(headings) >= MIN_HEADINGS:
        state.tokens.insert(0, nav)


def _headings(tokens: list[Token]) -> list[tuple[int, str, str]]:
    found = []
    for i, token in enumerate(tokens):
        anchor = token.attrGet("id")
        if token.type == "heading_open" and anchor:
            text = "".join(
                child.content
                for child in tokens[i + 1].children or ()
                if child.type in ("text", "code_inline")
            )
            found.append((int(token.tag[1]), str(anchor), text.strip()))
    return found


def _nav(headings: list[tuple[int, str, str]]) -> str:
    """Nested lists: a deeper heading's list sits inside the item of the heading above it."""
    parts = ['<nav class="toc" aria-label="Contents">']
    levels: list[int] = []  # the level of each open list, outermost first
    for level, anchor, text in headings:
        if levels and level > levels[-1]:
            parts.append("<ul>")
            levels.append(level)
        else:
            if levels:
                parts.append("</li>")
            while len(levels) > 1 and level < levels[-1]:
                parts.append("</ul></li>")
                levels.pop()
            if not levels:
                parts.append("<ul>")
                levels.append(level)
        parts.append(f'<li><a href="#{escape(anchor)}">{escape(text)}</a>')
    parts.append("</li></ul>" * len(levels))
    return "\n".join(parts) + "\n</nav>\n"
