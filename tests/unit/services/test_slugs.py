"""Unit tests for URL slugs: ASCII, pinyin for Chinese, capped, unique."""

from __future__ import annotations

import pytest

from myblog.services.slugs import MAX_SLUG_LENGTH, slugify, unique_slug


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Hello, World!", "hello-world"),
        ("  --Leading and trailing--  ", "leading-and-trailing"),
        ("Café Crème", "cafe-creme"),
        ("ＡＢＣ１２３", "abc123"),
        ("Flask 入门笔记", "flask-ru-men-bi-ji"),
        ("你好，世界！", "ni-hao-shi-jie"),
        ("Python 3.12 新特性", "python-3-12-xin-te-xing"),
        ("C++ & Rust: 对比", "c-rust-dui-bi"),
        ("重庆", "chong-qing"),
    ],
)
def test_slugify_makes_lowercase_ascii_with_pinyin(title, slug):
    assert slugify(title) == slug


@pytest.mark.parametrize("title", ["!!!", "", "   ", "——", "🙂🙂"])
def test_slugify_falls_back_when_nothing_is_left(title):
    assert slugify(title) == "post"
    assert slugify(title, fallback="tag") == "tag"


def test_slugify_caps_length_at_a_word_boundary():
    slug = slugify("word " * 40)
    assert len(slug) <= MAX_SLUG_LENGTH
    assert not slug.endswith("-")
    assert set(slug.split("-")) == {"word"}


def test_slugify_cuts_a_single_long_word_hard():
    assert slugify("a" * 200) == "a" * MAX_SLUG_LENGTH
    assert slugify("abcdef ghij", max_length=8) == "abcdef"


def test_slugify_caps_long_chinese_titles_too():
    slug = slugify("很长的标题" * 30)
    assert 0 < len(slug) <= MAX_SLUG_LENGTH
    assert slug.isascii() and not slug.endswith("-")


def test_unique_slug_returns_the_base_when_free():
    assert unique_slug("hello", lambda s: False) == "hello"


def test_unique_slug_counts_up_past_taken_ones():
    taken = {"hello", "hello-2", "hello-3"}
    assert unique_slug("hello", taken.__contains__) == "hello-4"


def test_unique_slug_stays_within_the_length_cap():
    base = "a" * MAX_SLUG_LENGTH
    candidate = unique_slug(base, {base}.__contains__)
    assert candidate == "a" * (MAX_SLUG_LENGTH - 2) + "-2"
    assert len(candidate) == MAX_SLUG_LENGTH


def test_unique_slug_does_not_leave_a_double_hyphen_after_cutting():
    base = "a" * (MAX_SLUG_LENGTH - 2) + "-b"
    candidate = unique_slug(base, {base}.__contains__)
    assert "--" not in candidate
    assert candidate.endswith("-2") and len(candidate) <= MAX_SLUG_LENGTH
