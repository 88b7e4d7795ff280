"""Cutting text into index tokens, parsing queries into safe terms, and escaped snippets."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from myblog.services.search.documents import build_document
from myblog.services.search.postgres import tsquery_text, tsvector_text
from myblog.services.search.snippets import highlight, snippet
from myblog.services.search.sqlite import match_text
from myblog.services.search.text import (
    MAX_QUERY,
    MAX_TERMS,
    QueryProblem,
    Term,
    index_tokens,
    parse_query,
    plain_text,
)


def test_words_are_folded_to_one_form():
    assert index_tokens("Café CAFE ｃａｆｅ naïve Straße") == [
        "cafe",
        "cafe",
        "cafe",
        "naive",
        "strasse",
    ]


def test_cjk_runs_become_bigrams_then_their_characters():
    assert index_tokens("搜索引擎 is 好") == [
        "搜索",
        "索引",
        "引擎",
        "is",
        "好",
        "搜",
        "索",
        "引",
        "擎",
    ]


def test_punctuation_and_underscores_only_separate():
    assert index_tokens("snake_case, e-mail; 中文，标点") == [
        "snake",
        "case",
        "e",
        "mail",
        "中文",
        "标点",
        "中",
        "文",
        "标",
        "点",
    ]


def test_plain_text_keeps_words_of_adjacent_blocks_apart_and_unescapes():
    html = "<h2>Title</h2><p>one <em>two</em></p><pre><code>a &lt; b</code></pre>"
    assert plain_text(html) == "Title one two a < b"


def terms(raw: str) -> list[tuple[tuple[str, ...], bool]]:
    return [(term.tokens, term.prefix) for term in parse_query(raw).terms]


def test_words_match_by_prefix_and_cjk_exactly():
    assert terms("Flask 搜 搜索 搜索引擎") == [
        (("flask",), True),
        (("搜",), False),
        (("搜索",), False),
        (("搜索", "索引", "引擎"), False),
    ]


def test_quoted_words_are_one_exact_phrase():
    assert terms('"hello world" python') == [(("hello", "world"), False), (("python",), True)]
    assert terms('"Python 入门"') == [(("python", "入门"), False)]
    # a single quoted word is matched whole, not as a prefix
    assert terms('"flask"') == [(("flask",), False)]


@pytest.mark.parametrize(
    "raw",
    [
        '"',
        '"unbalanced quote',
        "a*",
        "NEAR(a b, 3)",
        "-minus",
        "a AND b OR c",
        "'; DROP TABLE posts; --",
    ],
)
def test_operators_are_only_separators(raw):
    query = parse_query(raw)
    for term in query.terms:
        for token in term.tokens:
            assert token.isalnum()  # no quote, star, bracket, colon or dash reaches SQL


def test_an_unbalanced_quote_quotes_nothing():
    assert terms('"hello world') == [(("hello",), True), (("world",), True)]


def test_empty_too_long_and_wordless_queries():
    with pytest.raises(QueryProblem, match="empty"):
        parse_query("   \n ")
    with pytest.raises(QueryProblem, match="too long"):
        parse_query("x" * (MAX_QUERY + 1))
    assert parse_query("x" * MAX_QUERY).terms
    assert parse_query("*** --- !!!").terms == ()


def test_terms_are_capped_and_repeats_dropped():
    assert len(parse_query(" ".join(f"w{i}" for i in range(30))).terms) == MAX_TERMS
    assert len(parse_query("flask Flask FLASK").terms) == 1


def test_fts5_and_tsquery_texts_are_built_from_tokens_only():
    query = parse_query('py "hello world" 搜索引擎 好')
    assert match_text(query) == '"py"* "hello world" "搜索 索引 引擎" "好"'
    assert tsquery_text(query) == (
        "('py':*) & ('hello' <-> 'world') & ('搜索' <-> '索引' <-> '引擎') & ('好')"
    )


def test_tsvector_text_weights_fields_and_keeps_positions():
    document = build_document(1, "Flask 笔记", ["web"], "<p>flask again</p>")
    assert tsvector_text(document) == (
        "'flask':1A,8C '笔记':2A '笔':3A '记':4A 'web':6B 'again':9C"
    )


def query_terms(raw: str) -> tuple[Term, ...]:
    return parse_query(raw).terms


def test_snippet_escapes_the_text_and_marks_matches():
    text = "Use <script>alert(1)</script> with Python and pythonic code"
    marked = snippet(text, query_terms("pyth"))
    assert isinstance(marked, Markup)
    assert "<script>" not in marked and "&lt;script&gt;" in marked
    assert marked.count("<mark>") == 2
    assert "<mark>Python</mark>" in marked and "<mark>pythonic</mark>" in marked


def test_the_query_cannot_add_markup():
    marked = highlight("a <b>bold</b> claim", query_terms("<b>bold"))
    assert marked == Markup(
        "a &lt;<mark>b</mark>&gt;<mark>bold</mark>&lt;/<mark>b</mark>&gt; claim"
    )


def test_snippet_centres_on_the_first_match_in_long_text():
    text = "开头" * 200 + " 关键的搜索引擎 " + "结尾" * 200
    marked = snippet(text, query_terms("搜索引擎"))
    assert marked.startswith("… ") and marked.endswith(" …")
    assert "<mark>搜索引擎</mark>" in marked
    assert len(marked.striptags()) < 300


def test_snippet_without_a_match_in_the_body_shows_its_beginning():
    assert snippet("just the body", query_terms("title")) == Markup("just the body")


def test_exact_words_are_marked_whole_only():
    marked = highlight("flask flasks", query_terms('"flask"'))
    assert marked == Markup("<mark>flask</mark> flasks")
