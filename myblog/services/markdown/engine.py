"""The Markdown engine behind myblog.services.markdown: markdown-it, its plugins, Pygments, nh3."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml, unescapeAll
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

from myblog.services.markdown import mathml
from myblog.services.markdown.emoji_codes import emoji_rule
from myblog.services.markdown.linkify import WIDE_CHAR, CjkAwareLinkify
from myblog.services.markdown.toc import toc_rule

__all__ = [
    "count_links",
    "highlight_css",
    "is_wide",
    "parse",
    "render_comment",
    "render_markdown",
]

LIGHT_STYLE = "default"
DARK_STYLE = "github-dark"
DARK_SCOPE = '[data-bs-theme="dark"] .highlight'

_FORMATTER = HtmlFormatter(nowrap=False, cssclass="highlight", wrapcode=True)

# --- sanitiser allow-lists -------------------------------------------------------------------

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "h1", "h2", "h3", "h4", "h5", "h6",
        "p", "br", "hr", "blockquote",
        "em", "strong", "del", "s", "sub", "sup", "kbd", "code", "pre", "span", "div",
        "a", "img",
        "table", "thead", "tbody", "tr", "th", "td",
        "ul", "ol", "li", "dl", "dt", "dd",
        "input", "section", "details", "summary", "nav",
    }
)  # fmt: skip

# `class` is deliberately absent here: nh3 only filters class *values* (see ALLOWED_CLASSES)
# when the attribute itself is not allowed outright.
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    **{f"h{level}": {"id"} for level in range(1, 7)},
    "a": {"href", "title", "id"},
    "img": {"src", "alt", "title", "width", "height"},
    "li": {"id"},
    "ol": {"start"},
    "input": {"checked"},
    "details": {"open"},
    "nav": {"aria-label"},
    "div": {"tabindex"},
}

# Raw HTML inputs are forced to be inert checkboxes, whatever the author wrote.
FORCED_ATTRIBUTES: dict[str, dict[str, str]] = {
    "input": {"type": "checkbox", "disabled": "disabled"},
    # code scrolls sideways: the keyboard must be able to reach it to scroll it
    "pre": {"tabindex": "0"},
}

ALLOWED_URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})

# Dropped together with their content rather than unwrapped into visible text.
CLEAN_CONTENT_TAGS: frozenset[str] = frozenset(
    {"script", "style", "iframe", "object", "embed", "svg", "math", "noscript", "template"}
)

# the authors' own links carry no rel: "nofollow" is for what readers write (comments)
LINK_REL = None


def _pygments_classes() -> set[str]:
    classes = {cls for cls in STANDARD_TYPES.values() if cls}
    for style in (LIGHT_STYLE, DARK_STYLE):
        classes.update(cls for cls in HtmlFormatter(style=style).class2style if cls)
    return classes


# Restricting class values stops authors borrowing site CSS (e.g. Bootstrap's
# `position-fixed`) to overlay or fake parts of the page.
ALLOWED_CLASSES: dict[str, set[str]] = {
    "div": {"highlight", "table-responsive", "math", "block", "inline"},
    "span": _pygments_classes() | {"math", "inline"},
    "table": {"table"},
    "th": {"text-start", "text-center", "text-end"},
    "td": {"text-start", "text-center", "text-end"},
    "ul": {"contains-task-list"},
    "ol": {"footnotes-list"},
    "li": {"task-list-item", "footnote-item"},
    "input": {"task-list-item-checkbox"},
    "sup": {"footnote-ref"},
    "a": {"footnote-backref", "header-anchor"},
    "hr": {"footnotes-sep"},
    "section": {"footnotes"},
    "nav": {"toc"},
}

# --- heading anchors ---------------------------------------------------------------------------

_SLUG_DROP = re.compile(r"[^\w\s-]")
_SLUG_DASHES = re.compile(r"[\s_-]+")


def _heading_slug(title: str) -> str:
    # \w is Unicode-aware, so CJK text survives while punctuation (incl. full-width) goes.
    slug = _SLUG_DASHES.sub("-", _SLUG_DROP.sub("", title.lower())).strip("-")
    return slug or "section"


def is_wide(char: str) -> bool:
    """True for one East Asian wide character (Han, kana, Hangul, full-width punctuation)."""
    return bool(char) and WIDE_CHAR.match(char) is not None


# --- render rules ------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _lexer_for(language: str) -> Lexer | None:
    try:
        lexer: Lexer = get_lexer_by_name(language)
    except ClassNotFound:
        return None
    return lexer


def _render_fence(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    info = unescapeAll(token.info).strip()
    language = info.split(maxsplit=1)[0].lower() if info else ""
    lexer = _lexer_for(language) if language else None
    if lexer is None:  # the same code box, without colours
        code = escapeHtml(token.content)
        html = f'<div class="highlight"><pre><code>{code}</code></pre></div>\n'
    else:
        html = str(highlight(token.content, lexer, _FORMATTER))
    return _with_line(html, token)


# -- the editor's preview: block elements carry the source line they start on ---------------

# the blocks that the preview scrolls to, each marked with its first source line (token.map)
_LINE_BLOCKS = frozenset(
    {
        "paragraph_open", "heading_open", "bullet_list_open", "ordered_list_open",
        "list_item_open", "blockquote_open", "table_open", "hr", "fence", "code_block",
    }
)  # fmt: skip
PREVIEW_ATTRIBUTES: dict[str, set[str]] = {"*": {"data-line"}}


def source_lines_rule(state: StateCore) -> None:
    """A core rule: with `source_lines` in the render's env (the editor's preview), give each
    block a `data-line` attribute, so the preview can follow the writer's cursor."""
    if not state.env.get("source_lines"):
        return
    for token in state.tokens:
        if token.map and token.type in _LINE_BLOCKS:
            token.attrSet("data-line", str(token.map[0]))


def _with_line(html: str, token: Token) -> str:
    # the code box and the table wrapper are drawn here, not by renderToken: put the mark on
    line = token.attrGet("data-line")
    if line is None or not html.startswith("<div "):
        return html
    return f'<div data-line="{line}" {html[5:]}'


def _render_table_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    html = '<div class="table-responsive" tabindex="0">\n<table class="table">\n'
    return _with_line(html, tokens[idx])


def _render_table_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return "</table>\n</div>\n"


_ALIGN_CLASSES = {"left": "text-start", "center": "text-center", "right": "text-end"}


def _render_cell_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    # markdown-it aligns cells with style="text-align:…", which the CSP would block.
    token = tokens[idx]
    style = token.attrs.pop("style", None)
    if isinstance(style, str):
        align = _ALIGN_CLASSES.get(style.removeprefix("text-align:"))
        if align:
            token.attrSet("class", align)
    return self.renderToken(tokens, idx, options, env)


class _MarkdownIt(MarkdownIt):
    def validateLink(self, url: str) -> bool:
        # nh3's scheme allow-list is the single gate for URLs. markdown-it's own deny-list would
        # echo a rejected `[x](javascript:…)` back as literal text; here the link is still
        # formed and nh3 then drops the unsafe href/src, so the payload vanishes entirely.
        return True


def _build_markdown() -> MarkdownIt:
    md = (
        _MarkdownIt("commonmark", {"linkify": True})
        .enable(["table", "strikethrough", "linkify"])
        .use(footnote_plugin)
        .use(tasklists_plugin, enabled=False)
        .use(anchors_plugin, min_level=1, max_level=4, slug_func=_heading_slug, permalink=True,
             permalinkSymbol="#")
        # as pandoc: no space just inside the dollars, no digit after them ("$5 and $10" is money)
        .use(dollarmath_plugin, allow_space=False, allow_digits=False, allow_labels=False,
             double_inline=True, renderer=mathml.marker)
    )  # fmt: skip
    md.core.ruler.after("inline", "emoji", emoji_rule)
    md.core.ruler.after("anchor", "toc", toc_rule)
    md.core.ruler.push("source_lines", source_lines_rule)
    md.linkify = CjkAwareLinkify()
    md.add_render_rule("fence", _render_fence)
    md.add_render_rule("table_open", _render_table_open)
    md.add_render_rule("table_close", _render_table_close)
    md.add_render_rule("th_open", _render_cell_open)
    md.add_render_rule("td_open", _render_cell_open)
    return md


_MD = _build_markdown()


_TABINDEX = re.compile(r'tabindex="[^"]*"')


def _sanitise(raw_html: str, *, source_lines: bool = False) -> str:
    # a scrolling table's wrapper is reachable by the keyboard; no tabindex chooses an order
    return _TABINDEX.sub('tabindex="0"', _clean(raw_html, source_lines=source_lines))


def _clean(raw_html: str, *, source_lines: bool = False) -> str:
    attributes = (
        {**ALLOWED_ATTRIBUTES, **PREVIEW_ATTRIBUTES} if source_lines else ALLOWED_ATTRIBUTES
    )
    return nh3.clean(
        raw_html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(CLEAN_CONTENT_TAGS),
        attributes=attributes,
        set_tag_attribute_values=FORCED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_markdown(text: str, *, source_lines: bool = False) -> str:
    """Render Markdown source to sanitised HTML that is safe to mark as `Markup`; with
    `source_lines` (the editor's preview), blocks carry `data-line`, their first source line."""
    with mathml.formulas() as put_formulas:
        html = _MD.render(text, {"source_lines": True} if source_lines else None)
        return put_formulas(_sanitise(html, source_lines=source_lines))


def parse(text: str) -> list[Token]:
    """The block tokens of Markdown source, as the blog's renderer reads it (for excerpts)."""
    return _MD.parse(text)


# --- comments ----------------------------------------------------------------------------------

# Readers' comments get a small subset: paragraphs, emphasis, code, quotes, lists and links.
# No raw HTML (escaped, not passed through), no images, headings or tables.
COMMENT_TAGS: frozenset[str] = frozenset(
    {"p", "br", "em", "strong", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a"}
)
COMMENT_LINK_REL = "nofollow ugc noopener"


def _build_comment_markdown() -> MarkdownIt:
    md = _MarkdownIt("zero", {"linkify": True, "breaks": True, "html": False}).enable(
        [
            "emphasis",
            "backticks",
            "strikethrough",
            "blockquote",
            "list",
            "fence",
            "code",
            "link",
            "autolink",
            "linkify",
            "newline",
            "escape",
            "entity",
        ]
    )
    md.linkify = CjkAwareLinkify()
    return md


_COMMENT_MD = _build_comment_markdown()


def render_comment(text: str) -> str:
    """Render a reader's comment (Markdown-lite) to sanitised HTML; links get rel=nofollow ugc."""
    return nh3.clean(
        _COMMENT_MD.render(text),
        tags=set(COMMENT_TAGS),
        clean_content_tags=set(CLEAN_CONTENT_TAGS),
        attributes={"a": {"href"}, "ol": {"start"}},
        url_schemes={"http", "https", "mailto"},
        link_rel=COMMENT_LINK_REL,
        strip_comments=True,
    )


# a Markdown link `[a](https://…)` counts once: through its URL, not also through its "]("
_LINK_PATTERN = re.compile(r"(?i)\b(?:https?://|www\.)|\]\((?!\s*<?(?:https?://|www\.))|<mailto:")


def count_links(text: str) -> int:
    """How many links a comment's source holds (URLs, `www.` names, Markdown and autolinks)."""
    return len(_LINK_PATTERN.findall(text))


# --- stylesheet --------------------------------------------------------------------------------


def highlight_css() -> str:
    """Return Pygments CSS for `.highlight`: light by default, dark under Bootstrap's dark theme."""
    light = HtmlFormatter(style=LIGHT_STYLE)
    dark = HtmlFormatter(style=DARK_STYLE)
    # Pygments only emits rules for tokens a style colours, so light colours and weights would
    # leak into dark mode; this reset outranks `.highlight .k` but loses to the dark rules.
    reset = (
        f"{DARK_SCOPE} span {{ color: inherit; background-color: transparent; "
        "font-weight: inherit; font-style: inherit; text-decoration: none; border: 0 }"
    )
    lines = [
        "/* Generated by myblog.services.markdown.highlight_css(); do not edit by hand. */",
        *light.get_background_style_defs(".highlight"),
        *light.get_token_style_defs(".highlight"),
        reset,
        *dark.get_background_style_defs(DARK_SCOPE),
        *dark.get_token_style_defs(DARK_SCOPE),
    ]
    return "\n".join(lines) + "\n"
