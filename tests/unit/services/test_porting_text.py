"""Text out of bytes and fields out of text: encodings, front matter, dates, names."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from myblog.services.porting.items import ItemError
from myblog.services.porting.text import (
    decode_text,
    names,
    parse_when,
    split_front_matter,
    take_heading,
)

NOTE = "# 读书笔记\n\n今天读了《论语》：学而时习之，不亦说乎？有朋自远方来，不亦乐乎？\n"


def test_utf8_is_read_as_it_is_with_or_without_a_bom():
    assert decode_text("Grüße, 你好".encode()) == ("Grüße, 你好", None)
    assert decode_text(b"\xef\xbb\xbfhello") == ("hello", None)


def test_a_gbk_note_is_read_as_gb18030_and_says_so():
    assert decode_text(NOTE.encode("gbk")) == (NOTE, "GB18030")


def test_utf16_with_a_bom_is_read():
    assert decode_text("标题".encode("utf-16")) == ("标题", "UTF-16")


def test_a_binary_file_is_refused():
    with pytest.raises(ItemError, match="binary"):
        decode_text(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")


def test_yaml_front_matter():
    fields, body = split_front_matter("---\ntitle: Hi\ntags: [a, b]\n---\n\nBody\n")
    assert fields == {"title": "Hi", "tags": ["a", "b"]}
    assert body == "Body\n"


def test_toml_front_matter():
    fields, body = split_front_matter('+++\ntitle = "Hi"\ndate = 2021-06-07T08:09:10Z\n+++\nBody')
    assert fields["title"] == "Hi"
    assert fields["date"] == datetime(2021, 6, 7, 8, 9, 10, tzinfo=UTC)
    assert body == "Body"


def test_windows_line_endings_and_no_front_matter():
    assert split_front_matter("---\r\ntitle: Hi\r\n---\r\nBody\r\n") == (
        {"title": "Hi"},
        "Body\r\n",
    )
    assert split_front_matter("Just a note.\n---\nwith a rule") == (
        {},
        "Just a note.\n---\nwith a rule",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("---\ntitle: [unclosed\n---\nbody", r"malformed YAML front matter \(line 3\)"),
        ("---\ntitle: Hi\nbody without an end", "never closed"),
        ("---\n- a\n- list\n---\nbody", "not a set of"),
        ('+++\ntitle = "no end quote\n+++\nbody', "malformed TOML front matter"),
    ],
)
def test_malformed_front_matter_is_refused_with_a_reason(text, message):
    with pytest.raises(ItemError, match=message):
        split_front_matter(text)


def test_an_opening_heading_is_the_title_and_leaves_the_body():
    assert take_heading("# 读书笔记\n\n正文\n") == ("读书笔记", "正文\n")
    assert take_heading("## Not a title\n") == ("", "## Not a title\n")
    assert take_heading("Text first\n# Heading\n") == ("", "Text first\n# Heading\n")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020-02-03T04:05:06+08:00", datetime(2020, 2, 2, 20, 5, 6, tzinfo=UTC)),
        ("2020-02-03T04:05:06Z", datetime(2020, 2, 3, 4, 5, 6, tzinfo=UTC)),
        ("2021-03-04 10:00:00 +0800", datetime(2021, 3, 4, 2, 0, tzinfo=UTC)),
        ("2019-05-01 09:30:00", datetime(2019, 5, 1, 9, 30, tzinfo=UTC)),
        (date(2022, 1, 2), datetime(2022, 1, 2, tzinfo=UTC)),
        (datetime(2022, 1, 2, 3, 4), datetime(2022, 1, 2, 3, 4, tzinfo=UTC)),
        (1_700_000_000_000, datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
        (None, None),
    ],
)
def test_dates_in_their_many_spellings(value, expected):
    assert parse_when(value) == expected


def test_a_date_that_is_none_is_refused():
    with pytest.raises(ItemError, match="the date “next tuesday” is not a date"):
        parse_when("next tuesday")


def test_names_from_lists_and_strings():
    assert names(["Python", "python", " Flask "]) == ["Python", "python", "Flask"]
    assert names("a, b，c") == ["a", "b", "c"]
    assert names("life travel", split_spaces=True) == ["life", "travel"]
    assert names({"not": "a list"}) == []
    assert names(["x" * 100]) == ["x" * 60]
