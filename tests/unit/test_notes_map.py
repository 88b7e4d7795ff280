"""docs/notes-map.md stays honest: every reference resolves, every topic of the notes is mapped."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAP = ROOT / "docs" / "notes-map.md"
NOTES = ROOT.parent / "shared" / "notes" / "flask-notes.md"

# `path:symbol`: the path has a '.' or '/' in it (README.md, .flaskenv, .ci/run, myblog/x.py)
REFERENCE = re.compile(r"(?P<path>[\w-]*(?:[./][\w-]+)+):(?P<symbol>\S.*)")
PLANNED = re.compile(r"planned: (?:issue #\d+|live-updates issue \(not yet filed\))")
BACKTICKED = re.compile(r"`([^`]+)`")
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


def references(cell: str) -> list[tuple[str, str]]:
    """The `path:symbol` references in a table cell."""
    found = []
    for span in BACKTICKED.findall(cell):
        match = REFERENCE.fullmatch(span)
        if match:
            found.append((match["path"], match["symbol"]))
    return found


def python_symbol_exists(source: str, symbol: str) -> bool:
    """A top-level def/class/assignment, or `Class.member` (member: def, class or assignment)."""
    body: list[ast.stmt] = ast.parse(source).body
    *outer, name = symbol.split(".")
    for part in outer:
        classes = [n for n in body if isinstance(n, ast.ClassDef) and n.name == part]
        if not classes:
            return False
        body = classes[0].body
    return name in defined_names(body)


def defined_names(body: list[ast.stmt]) -> set[str]:
    names = set()
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def broken_reason(path: str, symbol: str) -> str | None:
    """Why a reference does not resolve, or None when it does."""
    file = (ROOT / path).resolve()
    if not file.is_relative_to(ROOT) or not file.is_file():
        return "no such file"
    text = file.read_text(encoding="utf-8")
    found = python_symbol_exists(text, symbol) if file.suffix == ".py" else symbol in text
    return None if found else "symbol not found"


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
