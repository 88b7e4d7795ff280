"""docs/notes-map.md stays honest: every reference resolves, every topic of the notes is mapped."""

from __future__ import annotations

import re

import pytest
from docrefs import BACKTICKED, ROOT, broken_reason, references

MAP = ROOT / "docs" / "notes-map.md"
NOTES = ROOT.parent / "shared" / "notes" / "flask-notes.md"

PLANNED = re.compile(r"planned: (?:issue #\d+|live-updates issue \(not yet filed\))")
FENCE = re.compile(r"^ {0,3}(```|~~~)")
HEADING = re.compile(r"^(#{2,4})\s+(?P<text>.+?)\s*#*\s*$")

# headings of the notes that name no topic of their own
NOT_TOPICS = {
    "Hi Flask": "greeting",
    "Chapter 0 Ready": "chapter title; its sections are mapped",
    "Chapter 1 Hello Flask": "chapter title; its sections are mapped",
    "Chapter 2 Flask & HTTP": "chapter title; its sections are mapped",
    "1. Git": "checking out the book's example code by tag",
    "数据库进阶操作(未整理)": "empty placeholder",
}


def table_rows(markdown: str) -> list[list[str]]:
    """Data rows of every table in the map (header and separator rows dropped)."""
    rows = []
    for line in markdown.splitlines():
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] == "Notes section" or set(cells[0]) <= set("-: "):
            continue
        rows.append(cells)
    return rows


def topic_headings(markdown: str) -> list[str]:
    """`##`–`####` headings outside fenced code blocks."""
    headings, fenced = [], False
    for line in markdown.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        match = None if fenced else HEADING.match(line)
        if match:
            headings.append(match["text"])
    return headings


def test_every_reference_resolves() -> None:
    rows = table_rows(MAP.read_text(encoding="utf-8"))
    refs = [ref for row in rows for ref in references(row[1])]
    assert len(refs) > 100, "the map's tables should hold the references"
    broken = [
        f"{path}:{symbol} ({why})" for path, symbol in refs if (why := broken_reason(path, symbol))
    ]
    assert not broken, "broken references in docs/notes-map.md:\n" + "\n".join(broken)


def test_every_row_names_code_or_a_planned_issue() -> None:
    rows = table_rows(MAP.read_text(encoding="utf-8"))
    assert len(rows) >= 40
    bad = [
        row[0]
        for row in rows
        if len(row) != 3
        or not row[0]
        or not row[2]
        or not (references(row[1]) or any(PLANNED.fullmatch(s) for s in BACKTICKED.findall(row[1])))
    ]
    assert not bad, (
        "rows without a section, a `path:symbol`/planned reference or a purpose:\n" + "\n".join(bad)
    )


def test_every_topic_of_the_notes_is_mapped() -> None:
    if not NOTES.is_file():
        pytest.skip(f"the notes are not beside the repository ({NOTES})")
    headings = topic_headings(NOTES.read_text(encoding="utf-8"))
    stale = sorted(set(NOT_TOPICS) - set(headings))
    assert not stale, f"ignored headings no longer in the notes: {stale}"
    # a row's section cell is "<heading exactly as in the notes> — <English gloss>"
    mapped = {row[0].split(" — ")[0] for row in table_rows(MAP.read_text(encoding="utf-8"))}
    missing = [h for h in headings if h not in NOT_TOPICS and h not in mapped]
    unknown = sorted(mapped - set(headings))
    assert not unknown, f"rows whose section is not a heading of the notes: {unknown}"
    assert not missing, "note headings with no row in docs/notes-map.md:\n" + "\n".join(missing)


def test_checker_catches_missing_files_and_symbols() -> None:
    assert broken_reason("myblog/config.py", "ProductionConfig") is None
    assert broken_reason("myblog/models/user.py", "User.profile") is None
    assert broken_reason("myblog/config.py", "NoSuchConfig") == "symbol not found"
    assert broken_reason("myblog/config.py", "Config.no_such_method") == "symbol not found"
    # a name that is only used (imported) in a module is not a definition there
    assert broken_reason("myblog/blog/views.py", "render_template") == "symbol not found"
    assert broken_reason("myblog/no_such_module.py", "x") == "no such file"
    assert broken_reason("../shared/DESIGN.md", "myblog") == "no such file"
    assert broken_reason(".flaskenv", "FLASK_APP=myblog") is None
    assert broken_reason(".flaskenv", "FLASK_APP=app") == "symbol not found"


def test_reference_syntax() -> None:
    cell = (
        "`myblog/models/post.py:post_tags`, `.flaskenv:FLASK_APP`, "
        "`myblog/templates/base.html:{% block content %}`, `planned: issue #3`, `flask routes`, "
        "`<int:year>`, `sqlite:///x.db`"
    )
    assert references(cell) == [
        ("myblog/models/post.py", "post_tags"),
        (".flaskenv", "FLASK_APP"),
        ("myblog/templates/base.html", "{% block content %}"),
    ]


def test_headings_inside_fenced_code_are_skipped() -> None:
    notes = "\n".join(
        [
            "## Real topic",
            "```py",
            "## not a heading",
            "  ```",  # an indented closing fence still closes the block
            "### Another topic ##",
            "#### Deep topic",
            "# level one is a title, not a topic",
        ]
    )
    assert topic_headings(notes) == ["Real topic", "Another topic", "Deep topic"]
