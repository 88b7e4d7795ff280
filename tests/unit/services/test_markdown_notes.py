"""Long real-world Flask notes (Chinese, many tables and code blocks) render fully and safely.

The repository's own note, tests/fixtures/long-note.md, is always checked; the user's notes are
checked as well when they sit beside the checkout (../shared/notes/flask-notes.md).
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from myblog.services.markdown import make_excerpt, render_markdown

ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "tests" / "fixtures" / "long-note.md"
NOTES = ROOT.parent / "shared" / "notes" / "flask-notes.md"


@pytest.fixture(scope="module", params=[FIXTURE, NOTES], ids=["fixture", "user-notes"])
def notes(request) -> str:
    if request.param == NOTES and not NOTES.exists():
        # A plain skip even under MYBLOG_REQUIRE_SERVICES=1: the user's notes are no service.
        pytest.skip(f"{NOTES} is not beside this checkout")
    return request.param.read_text(encoding="utf-8")


def test_every_code_block_and_heading_of_the_notes_survives(notes):
    html = render_markdown(notes)
    fences = len(re.findall(r"^\s*```", notes, flags=re.M)) // 2
    blocks = html.count("<pre")
    assert blocks >= fences - 2, (blocks, fences)  # an unclosed fence may swallow a neighbour
    headings = [line for line in notes.splitlines() if re.match(r"^#{2,4} \S", line)]
    assert len(re.findall(r"<h[2-4] id=", html)) >= len(headings) - fences  # code comments aside
    separators = len(re.findall(r"^\s*\|?\s*:?-+:?\s*\|", notes, flags=re.M))
    assert html.count("<table") == separators > 0
    assert "Flask" in html and "蓝图" in html
    assert "<script" not in html.lower()
    assert 'style="' not in html


def test_the_notes_make_a_plain_text_excerpt(notes):
    excerpt = make_excerpt(notes)
    assert 0 < len(excerpt) <= 200
    assert "```" not in excerpt
    assert not re.search(r"<(p|code|pre|h[1-6]|table|a)[ >]", excerpt)


_NESTING = {"ul", "ol", "li", "blockquote", "pre"}


class _Page(HTMLParser):
    """A rendered page's tags with their attributes, the text of its <pre>s, and how its lists,
    quotes and code blocks nest."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.open: list[str] = []
        self.nestings: set[tuple[str, ...]] = set()
        self.code: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in {"area", "br", "hr", "img", "input", "meta", "source", "wbr"}:
            return
        self.open.append(tag)
        self.nestings.add(tuple(t for t in self.open if t in _NESTING))
        if tag == "pre":
            self.code.append("")

    def handle_endtag(self, tag):
        if tag in self.open:
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag) :]

    def handle_data(self, data):
        if "pre" in self.open:
            self.code[-1] += data

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def test_the_rendered_notes_run_no_script_and_link_nowhere_unsafe(notes):
    page = _Page(render_markdown(notes))
    names = {name for name, _ in page.tags}
    assert not names & {"script", "style", "iframe", "object", "embed", "svg", "form"}
    attributes = {attribute for _, attrs in page.tags for attribute in attrs}
    assert not {a for a in attributes if a.startswith("on")}, attributes
    assert "style" not in attributes
    urls = [attrs[key] or "" for _, attrs in page.tags for key in ("href", "src") if key in attrs]
    for url in urls:
        scheme = re.match(r"\s*([a-zA-Z][\w+.-]*):", url)
        assert scheme is None or scheme[1].lower() in {"http", "https", "mailto"}, url


# --- the repository's own note: what it holds, exactly ------------------------------------------

_FENCE = re.compile(r"^\s*(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


def _outline(text: str) -> tuple[list[str], list[str]]:
    """The opening lines of `text`'s fenced code blocks, and its ##–#### headings outside them."""
    fences: list[str] = []
    headings: list[str] = []
    fence = ""
    for line in text.splitlines():
        match = _FENCE.match(line)
        if fence:
            if match and match["fence"].startswith(fence) and not match["info"].strip():
                fence = ""
        elif match:
            fence = match["fence"]
            fences.append(line)
        elif re.match(r"^#{2,4} \S", line):
            headings.append(line)
    return fences, headings


@pytest.fixture(scope="module")
def note() -> str:
    return FIXTURE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def html(note) -> str:
    return render_markdown(note)


def test_the_note_is_long_and_mixed(note):
    fences, headings = _outline(note)
    assert len(note.splitlines()) >= 600 and len(headings) >= 40 and len(fences) >= 15
    assert len(re.findall(r"^\s*\|?\s*:?-+:?\s*\|", note, flags=re.M)) >= 10
    kinds = {fence.strip() for fence in fences}
    assert kinds >= {"```", "```python", "```bash", "```sql", "```html", "```jinja", "```json"}
    assert kinds >= {"```ini", "```toml", "~~~ini"}
    assert any(fence.startswith(" ") for fence in fences)  # a fence inside a list item


def test_every_block_and_heading_of_the_note_renders_exactly_once(note, html):
    fences, headings = _outline(note)
    assert html.count("<pre") == len(fences)
    assert len(re.findall(r"<h[2-4] id=", html)) == len(headings)
    assert not re.search(r"<h\d[^>]*>not a heading", html)
    page = _Page(html)
    assert any(text.startswith("## not a heading\n") for text in page.code)
    assert any("<script>" in text and "addEventListener" in text for text in page.code)
    assert any("FLASK_RUN_PORT=8000" in text for text in page.code)  # the ~~~ fence
    assert ("ol", "li", "pre") in page.nestings  # the fence indented inside a list item


def test_the_note_tables_keep_their_alignment_and_escaped_pipes(note, html):
    assert html.count('<div class="table-responsive" tabindex="0">') == html.count("<table") >= 10
    assert 'class="text-center"' in html and 'class="text-end"' in html
    assert "<th>命令</th>" in html  # a table without alignment colons
    assert "<code>{{ name | title }}</code>" in html
    assert "<code>git log --oneline | head</code>" in html
    assert "<code>^[a-z]+(_|-)?[a-z]*$</code>" in html
    assert "\\|" not in html
    assert '<td class="text-end">404</td>' in html


def test_the_note_footnotes_link_both_ways(note, html):
    definitions = re.findall(r"^\[\^([^\]]+)\]:", note, flags=re.M)
    references = re.findall(r"\[\^([^\]]+)\](?!:)", note)
    assert len(definitions) == len(set(references)) == 3
    assert html.count('<section class="footnotes">') == 1
    assert html.count('class="footnote-item"') == len(definitions)
    assert html.count('class="footnote-ref"') == len(references)
    assert html.count('class="footnote-backref"') == len(definitions)
    assert "作者李辉，也是 Flask 的维护者之一。" in html


def test_the_note_lists_nest_and_tick(note, html):
    page = _Page(html)
    assert ("ul", "li", "ol", "li", "ul") in page.nestings  # ordered inside unordered, 3 levels
    assert ("ol", "li", "ul", "li", "ol") in page.nestings
    boxes = page.all("input")
    assert len(boxes) == len(re.findall(r"^\s*- \[[ x]\] ", note, flags=re.M)) >= 6
    assert all(box.get("type") == "checkbox" and "disabled" in box for box in boxes)
    ticked = re.findall(r"^\s*- \[x\] ", note, flags=re.M)
    assert sum("checked" in box for box in boxes) == len(ticked)
    assert ("blockquote", "blockquote") in page.nestings


def test_the_note_html_payloads_are_cleaned_away(html):
    assert "alert(1)" not in html
    assert not re.search(r"<[^>]*\bon\w+=", html)
    assert '<img src="x">' in html
    assert "<a>点我领红包</a>" in html  # the javascript: link, hrefless
    assert "<a>原始 a 标签</a>" in html
    assert "<span>很大的红字</span>" in html and "<div>盖住整个页面的层</div>" in html


def test_the_note_links_and_chinese_prose(html):
    assert '<a href="https://flask.palletsprojects.com/en/stable/">' in html  # a bare URL
    assert '<a href="https://jinja.palletsprojects.com/">' in html  # an autolink
    # a bare URL runs straight into Chinese prose: the link stops where the Chinese begins
    assert ">https://docs.sqlalchemy.org</a>了解更多" in html
    assert "<strong>注意（重要）</strong>：" in html and "<strong>“工厂函数”</strong>" in html
    assert '<h3 id="模板继承">模板继承 <a class="header-anchor" href="#模板继承">#</a></h3>' in html
    assert "蓝图" in html and "上下文" in html and "踩坑" in html


def test_the_note_excerpt_is_its_first_paragraphs_in_plain_text(note):
    excerpt = make_excerpt(note)
    # the title (a heading) and the table after the first paragraphs stay out
    assert excerpt.startswith("边啃官方文档边记的 study notes，基于 Flask 3.x 和 Python 3.11。标了")
    for left_out in ("学习笔记", "Chapter 0", "Git 基本操作", "命令", "查看标签及说明"):
        assert left_out not in excerpt
    # whole paragraphs fit: it ends with the third one, a full sentence, and no "…"
    assert excerpt.endswith("切到第三章的代码。")
    assert len(excerpt) <= 200
    assert not any(mark in excerpt for mark in ("[1]", "<", "**", "`"))
