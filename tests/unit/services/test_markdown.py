"""Tests for the Markdown pipeline: rendering, sanitising and the Pygments stylesheet
(excerpts: test_excerpt.py)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import myblog
from myblog.services.markdown import highlight_css, make_excerpt, render_markdown

# --- Markdown features ------------------------------------------------------------------------


def test_plain_paragraph_and_emphasis() -> None:
    html = render_markdown("Hello *world* and **friends**.")
    assert html.strip() == "<p>Hello <em>world</em> and <strong>friends</strong>.</p>"


def test_table_is_wrapped_for_horizontal_scrolling() -> None:
    html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert '<div class="table-responsive" tabindex="0">\n<table class="table">' in html
    assert "</table>\n</div>" in html
    assert "<th>a</th>" in html and "<td>2</td>" in html


def test_table_alignment_uses_classes_not_inline_style() -> None:
    html = render_markdown("| l | c | r |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n")
    assert '<th class="text-start">l</th>' in html
    assert '<td class="text-center">2</td>' in html
    assert '<td class="text-end">3</td>' in html
    assert "style=" not in html


def test_strikethrough() -> None:
    html = render_markdown("~~old~~ new")
    assert re.search(r"<(del|s)>old</\1>", html)


def test_task_list_renders_disabled_checkboxes() -> None:
    html = render_markdown("- [ ] todo\n- [x] done\n")
    inputs = re.findall(r"<input[^>]*>", html)
    assert len(inputs) == 2
    assert all('type="checkbox"' in tag and "disabled" in tag for tag in inputs)
    assert "checked" not in inputs[0]
    assert "checked" in inputs[1]
    assert 'class="task-list-item"' in html


def test_raw_html_input_is_forced_to_a_disabled_checkbox() -> None:
    html = render_markdown('<p><input type="text" name="q" value="x" onfocus="alert(1)"></p>')
    (tag,) = re.findall(r"<input[^>]*>", html)
    assert 'type="checkbox"' in tag and 'disabled="disabled"' in tag
    assert "text" not in tag and "name=" not in tag and "onfocus" not in tag


def test_footnote_reference_and_section() -> None:
    html = render_markdown("Claim.[^src]\n\n[^src]: The source.\n")
    assert '<sup class="footnote-ref"><a href="#fn1" id="fnref1"' in html
    assert '<section class="footnotes">' in html
    assert '<li id="fn1" class="footnote-item">' in html
    assert 'href="#fnref1"' in html
    assert "The source." in html


def test_heading_anchors_for_h1_to_h4_only() -> None:
    html = render_markdown("# One\n## Two Words\n### Three\n#### Four\n##### Five\n")
    # each heading ends with a "#" link to itself (GitHub shows one on hover)
    assert '<h1 id="one">One <a class="header-anchor" href="#one">#</a></h1>' in html
    assert (
        '<h2 id="two-words">Two Words <a class="header-anchor" href="#two-words">#</a></h2>' in html
    )
    assert '<h3 id="three">' in html
    assert '<h4 id="four">' in html
    assert "<h5>Five</h5>" in html


def test_chinese_heading_keeps_cjk_and_lowercases_ascii() -> None:
    html = render_markdown("## 安装 Flask\n")
    assert (
        '<h2 id="安装-flask">安装 Flask <a class="header-anchor" href="#安装-flask">#</a></h2>'
        in html
    )


def test_heading_punctuation_is_dropped_from_ids() -> None:
    html = render_markdown("## 第一步：配置（可选）\n## What's new?\n## !!!\n")
    assert 'id="第一步配置可选"' in html
    assert 'id="whats-new"' in html
    assert 'id="section"' in html


def test_duplicate_headings_get_unique_ids() -> None:
    html = render_markdown("## 安装 Flask\n\ntext\n\n## 安装 Flask\n\n## 安装 Flask\n")
    ids = re.findall(r'<h2 id="([^"]+)"', html)
    assert ids == ["安装-flask", "安装-flask-1", "安装-flask-2"]


def test_ids_restart_for_each_render() -> None:
    assert 'id="intro"' in render_markdown("## Intro")
    assert 'id="intro"' in render_markdown("## Intro")


def test_python_code_block_is_highlighted_with_classes() -> None:
    html = render_markdown('```python\ndef greet(name):\n    return f"hi {name}"\n```\n')
    assert html.startswith('<div class="highlight"><pre tabindex="0">')
    assert '<span class="k">def</span>' in html
    assert '<span class="nf">greet</span>' in html
    assert "style=" not in html


def test_highlighted_code_is_escaped() -> None:
    html = render_markdown('```python\nprint("<script>alert(1)</script>")\n```\n')
    assert "<script" not in html
    assert "&lt;script&gt;" in html


def test_language_name_is_case_insensitive_and_extra_info_ignored() -> None:
    html = render_markdown("```Python title=demo.py\nimport os\n```\n")
    assert '<span class="kn">import</span>' in html


def test_unknown_language_is_escaped_plain_code() -> None:
    html = render_markdown("```nosuchlang\n<b>bold</b> & more\n```\n")
    # the same code box as a known language, without colours (GitHub boxes every fence)
    assert html.strip() == (
        '<div class="highlight"><pre tabindex="0"><code>'
        "&lt;b&gt;bold&lt;/b&gt; &amp; more\n</code></pre></div>"
    )


def test_fence_without_language_is_escaped_plain_code() -> None:
    html = render_markdown("```\na < b\n```\n")
    assert (
        html.strip()
        == '<div class="highlight"><pre tabindex="0"><code>a &lt; b\n</code></pre></div>'
    )


def test_inline_code_is_escaped() -> None:
    assert "<code>&lt;img src=x onerror=alert(1)&gt;</code>" in render_markdown(
        "`<img src=x onerror=alert(1)>`"
    )


def test_authors_links_carry_no_nofollow() -> None:
    # GitHub marks no link in a repository's own Markdown; "nofollow ugc" is for comments
    html = render_markdown("[home](/about) and [ext](https://example.com 'Example')")
    assert '<a href="/about">home</a>' in html
    assert 'href="https://example.com"' in html
    assert 'title="Example"' in html


def test_mailto_link_allowed() -> None:
    assert 'href="mailto:me@example.com"' in render_markdown("[mail](mailto:me@example.com)")


def test_images_keep_allowed_attributes() -> None:
    html = render_markdown('![猫](/media/cat.png "A cat")')
    assert '<img src="/media/cat.png" alt="猫" title="A cat">' in html
    raw = render_markdown('<img src="/a.png" width="10" height="20" alt="a" class="x" id="y">')
    assert '<img src="/a.png" width="10" height="20" alt="a">' in raw


# --- linkify -----------------------------------------------------------------------------------


def test_linkify_bare_urls() -> None:
    html = render_markdown("See https://example.com/docs and www.example.org.")
    assert '<a href="https://example.com/docs">' in html
    assert '<a href="http://www.example.org">www.example.org</a>' in html


def test_linkify_stops_at_chinese_text() -> None:
    html = render_markdown(
        "访问https://example.com/path了解更多，或者https://flask.palletsprojects.com。"
    )
    assert '<a href="https://example.com/path">' in html
    assert "https://example.com/path</a>了解更多" in html
    assert '<a href="https://flask.palletsprojects.com">' in html
    assert "xn--" not in html


def test_linkify_fuzzy_links_and_emails_next_to_chinese_text() -> None:
    html = render_markdown("见www.example.com了解，联系me@example.com获取（https://a.com/x）")
    assert '<a href="http://www.example.com">www.example.com</a>了解' in html
    assert '<a href="mailto:me@example.com">me@example.com</a>获取' in html
    assert '（<a href="https://a.com/x">https://a.com/x</a>）' in html


def test_linkify_ignores_javascript_text() -> None:
    html = render_markdown("javascript:alert(1) and javascript://example.com/%0aalert(1)")
    assert "<a" not in html


# --- XSS ---------------------------------------------------------------------------------------

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<p>text <img src=x onerror=alert(1)></p>",
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="javascript:alert(1)">raw link</a>',
    '<a href=" JaVaScRiPt:alert(1)">raw link</a>',
    '<a href="vbscript:msgbox(1)">vb</a>',
    "[x](vbscript:msgbox(1))",
    '<svg onload=alert(1)><circle r="1"/></svg>',
    '<iframe src="https://evil.example"></iframe>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<div style="background:url(javascript:alert(1))">styled</div>',
    "![x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    '<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">',
    "<form action=/x><button formaction=javascript:alert(1)>go</button></form>",
    '<math><mtext><a href="javascript:alert(1)">m</a></mtext></math>',
    "<style>body{display:none}</style>",
    '<p onclick="alert(1)" onmouseover="alert(1)">click</p>',
    "[x](data:text/html,<script>alert(1)</script>)",
    "<details open ontoggle=alert(1)>",
    '<a href="#" id="x" style="position:fixed" class="position-fixed top-0">y</a>',
    "<!-- <script>alert(1)</script> -->",
    "```html\n<script>alert(1)</script>\n```",
]


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def _parse_tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _TagCollector()
    parser.feed(html)
    parser.close()
    return parser.tags


_URL_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.IGNORECASE)


def _is_safe_url(value: str | None) -> bool:
    # Mirror the WHATWG URL parser: tabs/newlines vanish and C0/space is trimmed before the
    # scheme is read; anything without a valid scheme (e.g. "jav%09ascript:") is relative.
    if value is None:
        return False
    normalised = re.sub(r"[\t\n\r]", "", value).strip("".join(map(chr, range(0x21))))
    scheme = _URL_SCHEME.match(normalised)
    return scheme is None or scheme.group(1).lower() in {"http", "https", "mailto"}


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payloads_are_neutralised(payload: str) -> None:
    html = render_markdown(payload)
    lowered = html.lower()
    assert "<script" not in lowered
    assert "javascript:" not in lowered
    assert "vbscript:" not in lowered
    assert re.search(r"\son\w+\s*=", lowered) is None
    assert "style=" not in lowered
    forbidden_tags = {"iframe", "object", "embed", "svg", "math", "form", "button", "style"}
    for tag, attrs in _parse_tags(html):
        assert tag not in forbidden_tags | {"script"}  # <details> stays, without handlers
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert name != "style"
            if name in {"href", "src"}:
                assert _is_safe_url(value), (tag, name, value)


def test_unsafe_markdown_links_keep_text_but_lose_href() -> None:
    html = render_markdown("[click me](javascript:alert(1)) ![pic](data:text/html;base64,AAAA)")
    assert "<a>click me</a>" in html
    assert '<img alt="pic">' in html


def test_disallowed_classes_are_stripped() -> None:
    html = render_markdown(
        '<div class="position-fixed highlight">x</div><span class="k evil">y</span>'
    )
    assert "position-fixed" not in html and "evil" not in html
    assert '<span class="k">y</span>' in html


def test_markdown_link_title_cannot_break_out() -> None:
    html = render_markdown('[x](/ok "a\\" onmouseover=\\"alert(1)")')
    ((tag, attrs),) = _parse_tags(html)[1:]
    assert tag == "a"
    assert dict(attrs) == {
        "href": "/ok",
        "title": 'a" onmouseover="alert(1)',
    }


# --- a long Chinese document -------------------------------------------------------------------


def _chinese_document(sections: int = 30) -> str:
    parts = ["# Flask 博客搭建完全指南\n"]
    for n in range(1, sections + 1):
        parts.append(f"## 第{n}节：配置 Flask 应用\n")
        parts.append(
            f"在这一节中，我们讨论第{n}个主题。Flask 是一个轻量级的 Web 框架，"
            "它提供了路由、模板和请求处理等核心功能，适合构建中小型的博客系统。"
            "我们会一步一步地介绍如何安装依赖、编写视图函数，并且处理各种常见的错误。\n"
        )
        rows = "\n".join(f"| 选项{n}-{r} | 值{r} | 说明：这是第{r}行 |" for r in range(1, 6))
        parts.append(f"| 名称 | 值 | 说明 |\n|------|:--:|------|\n{rows}\n")
        parts.append(
            "```python\n"
            "from flask import Flask\n\n"
            "app = Flask(__name__)\n\n"
            f"@app.route('/section/{n}')\n"
            f"def section_{n}() -> str:\n"
            f'    """第{n}节的视图。"""\n'
            f"    return '第{n}节'\n"
            "```\n"
        )
    return "\n".join(parts)


def test_long_chinese_document_renders_completely() -> None:
    html = render_markdown(_chinese_document())
    assert html.count('<div class="table-responsive" tabindex="0">') == 30
    assert html.count("<table") == 30
    assert html.count("<tr>") == 30 * 6
    assert html.count('<div class="highlight">') == 30
    assert html.count('<span class="nd">@app</span>') == 30
    ids = re.findall(r'<h2 id="([^"]+)"', html)
    assert len(ids) == 30 and len(set(ids)) == 30
    assert ids[0] == "第1节配置-flask-应用"
    assert "style=" not in html


# --- stylesheet --------------------------------------------------------------------------------


def test_highlight_css_has_light_and_scoped_dark_rules() -> None:
    css = highlight_css()
    assert ".highlight .k {" in css
    assert '[data-bs-theme="dark"] .highlight .k {' in css
    assert '[data-bs-theme="dark"] .highlight {' in css
    # Every rule is scoped under .highlight, so Pygments never restyles the site's other <pre>s.
    for line in css.splitlines():
        if "{" in line:
            assert line.startswith((".highlight", '[data-bs-theme="dark"] .highlight')), line


def test_committed_stylesheet_matches_generator() -> None:
    committed = Path(myblog.__file__).parent / "static" / "css" / "pygments.css"
    assert committed.read_text(encoding="utf-8") == highlight_css(), (
        "regenerate myblog/static/css/pygments.css from highlight_css()"
    )


# --- GitHub parity: each case says what github.com renders for the same Markdown ----------------


def test_bare_file_and_host_names_stay_text() -> None:
    # GitHub: "Edit app.py, read author.id, relay smtp.gmail.com" — no links
    html = render_markdown(
        "Edit app.py, read author.id, relay smtp.gmail.com, see //cdn.example.com"
    )
    assert "<a" not in html


def test_www_names_urls_and_emails_are_linked() -> None:
    # GitHub: all three are links (GFM's extended www, url and email autolinks)
    html = render_markdown("Visit www.example.com, https://example.org/x or me@example.com.")
    assert '<a href="http://www.example.com">www.example.com</a>' in html
    assert '<a href="https://example.org/x">https://example.org/x</a>' in html
    assert '<a href="mailto:me@example.com">me@example.com</a>' in html


def test_details_and_summary_are_kept_without_handlers() -> None:
    # GitHub: a collapsible section titled "More", its Markdown body rendered inside
    html = render_markdown(
        "<details open ontoggle=alert(1)>\n<summary>More</summary>\n\nHidden *text*\n\n</details>"
    )
    assert '<details open="">' in html and "<summary>More</summary>" in html
    assert "<em>text</em>" in html and "ontoggle" not in html


def test_dollar_math_becomes_mathml() -> None:
    # GitHub: $a^2$ inline and the $$ block displayed, both typeset (GitHub uses MathJax)
    html = render_markdown("Area $\\pi r^2$ here.\n\n$$\n\\frac{a}{b}\n$$\n")
    assert '<span class="math inline"><math xmlns="http://www.w3.org/1998/Math/MathML"' in html
    assert (
        'display="inline"><mrow><mi>π</mi><msup><mi>r</mi><mn>2</mn></msup></mrow></math>' in html
    )
    assert '<div class="math block">' in html and 'display="block"' in html and "<mfrac>" in html


@pytest.mark.parametrize(
    "text",
    ["It costs $5 and $10.", "价格$5，运费$10", "Run `$ uv run flask run`", "$ spaced $"],
)
def test_dollars_that_are_not_math_stay_text(text: str) -> None:
    # GitHub: money, shell prompts and spaced dollars are plain text
    assert "<math" not in render_markdown(text)


def test_latex_that_cannot_be_read_is_shown_as_written() -> None:
    assert "<code>x^</code>" in render_markdown("Broken $x^$ formula")


def test_text_inside_math_cannot_carry_html() -> None:
    html = render_markdown("$\\text{<img src=x onerror=alert(1)><script>alert(2)</script>}$")
    assert "<img" not in html and "onerror" not in html and "<script" not in html


def test_emoji_shortcodes_outside_code() -> None:
    # GitHub: :smile: → 😄 and :+1: → 👍 in text, left alone in code and when unknown
    html = render_markdown("Nice :smile: :+1: :no_such_emoji: `:smile:`\n\n```\n:smile:\n```")
    assert "Nice 😄 👍 :no_such_emoji: <code>:smile:</code>" in html
    assert '<pre tabindex="0"><code>:smile:\n</code></pre>' in html


# --- reading long notes: contents, scrolling blocks -------------------------------------------


def _toc_links(html: str) -> list[str]:
    nav = html.split('<nav class="toc" aria-label="Contents">', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<a href="#([^"]+)">', nav)


def test_three_headings_get_a_contents_list_at_the_top() -> None:
    html = render_markdown("## 安装\n\ntext\n\n### 用 uv\n\n## 运行 `flask run`\n\n## 部署\n")
    assert html.startswith('<nav class="toc" aria-label="Contents">')
    assert _toc_links(html) == ["安装", "用-uv", "运行-flask-run", "部署"]
    # a sub-heading's entry sits in a list inside its parent's item
    assert '<li><a href="#安装">安装</a>\n<ul>\n<li><a href="#用-uv">用 uv</a>' in html
    assert "运行 flask run</a>" in html


def test_fewer_headings_get_none_unless_asked_for_with_a_marker() -> None:
    assert "<nav" not in render_markdown("## One\n\n## Two\n")
    html = render_markdown("Intro.\n\n[TOC]\n\n## One\n\ntext\n")
    assert html.startswith("<p>Intro.</p>\n<nav")
    assert _toc_links(html) == ["one"] and "[TOC]" not in html


def test_the_contents_list_is_not_part_of_the_excerpt() -> None:
    excerpt = make_excerpt("## One\n\nFirst words.\n\n## Two\n\n## Three\n")
    assert all(excerpt.count(word) <= 1 for word in ("One", "Two", "Three")), excerpt


def test_scrolling_code_and_tables_are_reachable_by_the_keyboard() -> None:
    html = render_markdown(
        "```python\nx = 1\n```\n\n| a |\n|---|\n| 1 |\n\n<div tabindex=5>x</div>"
    )
    assert '<pre tabindex="0">' in html
    assert '<div class="table-responsive" tabindex="0">' in html
    assert 'tabindex="5"' not in html
