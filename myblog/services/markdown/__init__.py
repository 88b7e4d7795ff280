"""The blog's Markdown pipeline: Markdown → highlighted, sanitised HTML, excerpts and code CSS.

The engine (markdown-it with its plugins, Pygments' lexers) lives in `engine` and is
imported on first use: rendering happens when something is saved, never while a page is read,
so a worker that only serves readers does not carry it (a few MB each).
"""

from __future__ import annotations

from types import ModuleType

__all__ = ["count_links", "highlight_css", "make_excerpt", "render_comment", "render_markdown"]


def _engine() -> ModuleType:
    from myblog.services.markdown import engine

    return engine


def render_markdown(text: str, *, source_lines: bool = False) -> str:
    """Render Markdown source to sanitised HTML that is safe to mark as `Markup`; with
    `source_lines` (the editor's preview), blocks carry `data-line`, their first source line."""
    result: str = _engine().render_markdown(text, source_lines=source_lines)
    return result


def render_comment(text: str) -> str:
    """Render a reader's comment (Markdown-lite) to sanitised HTML; links get rel=nofollow ugc."""
    result: str = _engine().render_comment(text)
    return result


def count_links(text: str) -> int:
    """How many links a comment's source holds (URLs, `www.` names, Markdown and autolinks)."""
    result: int = _engine().count_links(text)
    return result


def make_excerpt(text: str, length: int = 200) -> str:
    """Return a plain-text (not HTML-escaped) excerpt of Markdown `text`, at most `length` chars."""
    from myblog.services.markdown import excerpt

    result: str = excerpt.make_excerpt(text, length)
    return result


def highlight_css() -> str:
    """Return Pygments CSS for `.highlight`: light by default, dark under Bootstrap's dark theme."""
    result: str = _engine().highlight_css()
    return result
