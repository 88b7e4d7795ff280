"""Checking what the docs name in the code: `path` and `path:symbol` references resolve."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# `path:symbol`: the path has a '.' or '/' in it (README.md, .flaskenv, .ci/run, myblog/x.py)
REFERENCE = re.compile(r"(?P<path>[\w-]*(?:[./][\w-]+)+):(?P<symbol>\S.*)")
BACKTICKED = re.compile(r"`([^`]+)`")


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
