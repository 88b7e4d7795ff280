"""HTML bodies (WordPress, Ghost) as Markdown, with markdownify.

The Markdown is sanitised when it is rendered, like every post's: what the conversion lets
through (raw HTML it does not know) is cleaned then, not trusted now.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

# WordPress's classic editor stores paragraphs as blank lines and line breaks as newlines
# (its wpautop filter adds the tags when a page is shown); the block editor stores <p> tags
_HAS_PARAGRAPHS = re.compile(r"<(p|div|br)\b", re.IGNORECASE)
_STARTS_BLOCK = re.compile(
    r"\s*<(h[1-6]|ul|ol|li|blockquote|pre|table|figure|hr|div|p|dl|iframe)\b", re.IGNORECASE
)
# [caption …]<img …> A caption[/caption] and the like: the tags go, what is inside stays
_SHORTCODE = re.compile(r"\[/?(caption|gallery|embed)\b[^\]]*\]")
_BLANK_LINES = re.compile(r"\n{3,}")
_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"<(br|/?p|/?div|/?li|/?h[1-6])\b[^>]*>", re.IGNORECASE)


def _code_language(element: Any) -> str | None:
    """The language a <pre> (or the <code> in it) names in a class="language-…"."""
    for node in (element, element.find("code")):
        classes = node.get("class") if node is not None else None
        for name in classes if isinstance(classes, list) else str(classes or "").split():
            if name.startswith(("language-", "lang-")):
                return str(name.split("-", 1)[1])
    return None


def _paragraphs(html: str) -> str:
    chunks = [chunk.strip() for chunk in re.split(r"\n\s*\n", html)]
    return "\n".join(
        chunk if _STARTS_BLOCK.match(chunk) else "<p>" + chunk.replace("\n", "<br>\n") + "</p>"
        for chunk in chunks
        if chunk
    )


def html_to_markdown(html: str) -> str:
    """Markdown for an HTML body: ATX headings, "-" bullets, fenced code with its language."""
    from markdownify import markdownify  # only imports of WordPress and Ghost need it

    html = _SHORTCODE.sub("", html.replace("\r\n", "\n"))
    if not _HAS_PARAGRAPHS.search(html):
        html = _paragraphs(html)
    markdown = markdownify(
        html,
        heading_style="ATX",
        bullets="-",
        code_language_callback=_code_language,
    )
    return _BLANK_LINES.sub("\n\n", markdown).strip() + "\n"


def html_to_text(html: str) -> str:
    """The text of a short piece of HTML (an excerpt) on one line."""
    return " ".join(unescape(_TAG.sub("", _BREAK.sub(" ", html))).split())
