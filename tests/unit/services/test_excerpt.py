"""Excerpts: the first real paragraphs as plain text, cut at a boundary a reader would choose."""

from __future__ import annotations

import pytest

from myblog.services.markdown import make_excerpt

# --- what is taken ----------------------------------------------------------------------------


def test_headings_are_skipped_and_markup_dropped() -> None:
    assert make_excerpt("# Title\n\nSome **bold** & `code` text.") == "Some bold & code text."


def test_tables_code_images_raw_html_and_footnotes_stay_out() -> None:
    text = (
        "## Setting up\n\n"
        "![diagram](/uploads/a.png)\n\n"
        "Intro with a [link](https://example.com) and a note[^1].\n\n"
        "```python\nsecret = 1\n```\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "<script>alert(1)</script>\n\n"
        "Second <script>alert(2)</script>paragraph.\n\n"
        "[^1]: Footnote body.\n"
    )
    assert make_excerpt(text) == "Intro with a link and a note. Second paragraph."


def test_table_cells_do_not_run_together_with_the_prose() -> None:
    text = "| name | role |\n|---|---|\n| Ann | owner |\n\nThe team is small."
    assert make_excerpt(text) == "The team is small."


def test_front_matter_is_not_the_excerpt() -> None:
    yaml = "---\ntitle: Hello\ndate: 2024-05-01\ntags: [a, b]\n---\n\nThe real start."
    assert make_excerpt(yaml) == "The real start."
    toml = '+++\ntitle = "Hello"\n+++\n\nThe real start.'
    assert make_excerpt(toml) == "The real start."
    lines = "Title: Hello\nDate: 2024-05-01\n\nThe real start.\n\nNote: a colon in prose stays."
    assert make_excerpt(lines) == "The real start. Note: a colon in prose stays."


def test_a_rule_at_the_top_is_not_front_matter() -> None:
    assert make_excerpt("---\n\nJust a rule first.\n\n---\n\nThen more.") == (
        "Just a rule first. Then more."
    )


def test_quoted_paragraphs_count_and_list_items_stand_in_only_alone() -> None:
    assert make_excerpt("> Quoted opening.\n\n- item one\n- item two\n\nProse.") == (
        "Quoted opening. Prose."
    )
    assert make_excerpt("# Steps\n\n- item one\n- item two\n") == "item one item two"


def test_nothing_but_a_table_gives_no_excerpt() -> None:
    assert make_excerpt("# Numbers\n\n| a | b |\n|---|---|\n| 1 | 2 |\n") == ""


def test_chinese_lines_join_without_a_space_and_english_lines_with_one() -> None:
    excerpt = make_excerpt("第一行\n第二行。\n\nline one\nline two")
    assert excerpt == "第一行第二行。 line one line two"


def test_entities_are_unescaped_and_whitespace_collapsed() -> None:
    assert make_excerpt("Tom &amp; Jerry   <b>x</b>\n\n\nnext") == "Tom & Jerry x next"


# --- where it is cut --------------------------------------------------------------------------


def test_whole_paragraphs_that_fit_are_kept_without_an_ellipsis() -> None:
    text = "First paragraph is here.\n\n" + "Second one " * 30
    assert make_excerpt(text, length=40) == "First paragraph is here."


def test_a_sentence_end_in_the_second_half_is_a_clean_cut() -> None:
    text = "The quick brown fox jumps over the lazy dog. " * 10
    assert make_excerpt(text, length=50) == "The quick brown fox jumps over the lazy dog."


def test_english_is_cut_between_words_with_an_ellipsis() -> None:
    text = "word " * 40
    excerpt = make_excerpt(text, length=23)
    assert excerpt == "word word word word…"
    assert text.startswith(excerpt.removesuffix("…"))


def test_chinese_is_cut_at_a_clause_mark_when_there_is_one() -> None:
    text = "## 简介\n\n" + "我们使用 Flask 构建一个简单而完整的博客系统，" * 20
    # the heading is left out; the cut falls on the "，", which gives way to the "…"
    assert make_excerpt(text, length=30) == "我们使用 Flask 构建一个简单而完整的博客系统…"
    # no clause mark in the second half: cut after the last character that fits
    assert make_excerpt(text, length=20) == "我们使用 Flask 构建一个简单而完…"
    # a Latin word inside Chinese prose is still not split in half
    assert make_excerpt(text, length=12) == "我们使用 Flask…"


def test_chinese_sentence_end_is_a_clean_cut() -> None:
    text = "今天天气很好。" + "我们去公园散步，看见很多人在放风筝" * 5
    assert make_excerpt(text, length=12) == "今天天气很好。"


@pytest.mark.parametrize("length", [1, 5, 17, 64, 200])
def test_length_is_honoured(length: int) -> None:
    text = "Lorem ipsum dolor sit amet, 中文内容穿插其中, consectetur adipiscing elit. " * 20
    assert len(make_excerpt(text, length=length)) <= length


def test_a_single_long_word_is_cut_mid_word() -> None:
    assert make_excerpt("a" * 100, length=10) == "a" * 9 + "…"


def test_empty_input() -> None:
    assert make_excerpt("") == ""
    assert make_excerpt("anything", length=0) == ""
