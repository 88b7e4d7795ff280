"""The user's own Flask notes (Chinese, many tables and code blocks) render fully and safely."""

import re
from pathlib import Path

import pytest

from myblog.services.markdown import make_excerpt, render_markdown

NOTES = Path(__file__).resolve().parents[3].parent / "shared" / "notes" / "flask-notes.md"


@pytest.fixture(scope="module")
def notes() -> str:
    if not NOTES.exists():
        pytest.skip(f"{NOTES} is not beside this checkout")
    return NOTES.read_text(encoding="utf-8")


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
