"""Reading time and the table of contents taken out of a post's HTML."""

from __future__ import annotations

import pytest

from myblog.services.markdown import render_markdown
from myblog.services.markdown.reading import reading_counts, reading_minutes, split_toc


def test_chinese_characters_and_other_words_are_counted_apart():
    html = render_markdown("Flask 的 `url_for` 很好用, it's e-mail 3.14 ready.\n\n# 标题")
    # 的 很 好 用 标 题: six characters; Flask, url, for, it's, e-mail, 3.14, ready: seven words
    assert reading_counts(html) == (6, 7)


def test_the_contents_and_heading_anchors_are_not_read_twice():
    body = "## Alpha\n\n## Beta\n\n## Gamma\n\nOne two."
    assert reading_counts(render_markdown(body)) == (0, 5)


@pytest.mark.parametrize(
    ("cjk", "words", "minutes"),
    [(0, 0, 1), (0, 225, 1), (0, 226, 2), (350, 0, 1), (1400, 0, 4), (700, 450, 4)],
)
def test_minutes_are_rounded_up_at_350_characters_and_225_words_a_minute(cjk, words, minutes):
    html = "<p>" + "中" * cjk + " " + "word " * words + "</p>"
    assert reading_minutes(html) == minutes


def test_a_leading_table_of_contents_is_split_off_and_a_marked_one_stays():
    html = render_markdown("## A\n\n## B\n\n## C")
    toc, rest = split_toc(html)
    assert toc.startswith('<nav class="toc"') and toc.endswith("</nav>")
    assert rest.startswith('<h2 id="a">') and "toc" not in rest
    marked = render_markdown("Intro\n\n[TOC]\n\n## A\n\n## B\n\n## C")
    assert split_toc(marked) == ("", marked)


def test_minutes_are_remembered_by_key():
    from myblog.services.markdown.reading import remembered_reading_minutes

    long_text = "<p>" + "word " * 1000 + "</p>"
    assert remembered_reading_minutes(("post", 1), long_text) == 5
    # the same key is not counted again (a new key would be)
    assert remembered_reading_minutes(("post", 1), "<p>short</p>") == 5
    assert remembered_reading_minutes(("post", 2), "<p>short</p>") == 1
