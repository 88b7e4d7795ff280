"""The shape of the code: imports run one way without cycles, modules and views stay small,
views leave SQL and transactions to services, and docs/architecture.md names what exists."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from docrefs import BACKTICKED, REFERENCE, ROOT, broken_reason

PACKAGE = ROOT / "myblog"
ARCHITECTURE = ROOT / "docs" / "architecture.md"

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 40
MAX_VIEW_BODY_LINES = 15
BLUEPRINTS = ("blog", "auth", "admin", "api", "live")
LOW = {"config", "extensions"}

# which parts each part may import from (its own included); see docs/architecture.md
ALLOWED: dict[str, set[str]] = {
    "config": {"config"},
    "extensions": {"extensions"},
    "models": {"extensions", "models"},
    "queries": {"extensions", "models", "queries"},
    "services": {"extensions", "models", "queries", "services"},
    "web": {"extensions", "models", "queries", "services", "web"},
    "delivery": LOW | {"models", "services", "delivery"},
    **{
        f"blueprint:{name}": {"extensions", "models", "queries", "services", "web"}
        | {f"blueprint:{name}"}
        for name in BLUEPRINTS
    },
}


def part(module: str) -> str:
    """The part of the system a module of myblog belongs to."""
    names = module.split(".")
    top = names[1] if len(names) > 1 else ""
    if top in ("config", "extensions", "models", "queries", "services", "delivery"):
        return top
    if top in ("web", "account_fields"):
        return "web"
    if top in BLUEPRINTS:
        return f"blueprint:{top}"
    return "factory"  # create_app and what it wires: may import anything


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int
    in_function: bool
    type_checking: bool


@cache
def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        names = list(path.relative_to(ROOT).with_suffix("").parts)
        if names[-1] == "__init__":
            names.pop()
        found[".".join(names)] = path
    return found


@cache
def tree(name: str) -> ast.Module:
    return ast.parse(modules()[name].read_text(encoding="utf-8"))


def _target(node: ast.ImportFrom, alias: ast.alias) -> str:
    # `from myblog.blog import views` imports the module myblog.blog.views
    candidate = f"{node.module}.{alias.name}"
    return candidate if candidate in modules() else str(node.module)


def _is_type_checking(node: ast.If) -> bool:
    return ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")


def _walk(node: ast.AST, source: str, in_function: bool, type_checking: bool) -> list[Import]:
    found: list[Import] = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import):
            targets = [alias.name for alias in child.names]
        elif isinstance(child, ast.ImportFrom) and child.module and not child.level:
            targets = [_target(child, alias) for alias in child.names]
        else:
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            checking = type_checking or (isinstance(child, ast.If) and _is_type_checking(child))
            found += _walk(child, source, inner, checking)
            continue
        found += [
            Import(source, target, child.lineno, in_function, type_checking)
            for target in targets
            if target == "myblog" or target.startswith("myblog.")
        ]
    return found


@cache
def imports() -> list[Import]:
    found: list[Import] = []
    for name in modules():
        found += _walk(tree(name), name, False, False)
    return found


def test_imports_run_one_way() -> None:
    wrong = [
        f"{i.source}:{i.line} imports {i.target} ({part(i.source)} → {part(i.target)})"
        for i in imports()
        if part(i.source) != "factory" and part(i.target) not in ALLOWED[part(i.source)]
    ]
    assert not wrong, "imports against the allowed direction:\n" + "\n".join(wrong)


def _reachable(edges: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(edges.get(start, ()))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(edges.get(node, ()))
    return seen


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other, directly or through others."""
    reach = {node: _reachable(edges, node) for node in edges}
    groups = {
        frozenset({node} | {other for other in reach[node] if node in reach.get(other, ())})
        for node in reach
        if node in reach[node]
    }
    return sorted(sorted(group) for group in groups)


def test_no_import_cycles_even_through_imports_inside_functions() -> None:
    # Imports inside functions count too: one that only dodges a cycle would show up here.
    # Only TYPE_CHECKING imports (type names for model relationships) are left out.
    edges: dict[str, set[str]] = {}
    for i in imports():
        if not i.type_checking and i.target in modules():
            edges.setdefault(i.source, set()).add(i.target)
    assert _cycles(edges) == []


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"a"}}) == [["a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_services_never_touch_the_request() -> None:
    # queries may keep their pooled connection on `g` (app-context storage), nothing more
    request_bound = {"request", "session", "render_template", "flash", "redirect"}
    wrong = []
    for name in modules():
        if part(name) not in ("services", "queries", "models"):
            continue
        forbidden = request_bound if part(name) == "queries" else request_bound | {"g"}
        for node in ast.walk(tree(name)):
            if isinstance(node, ast.ImportFrom) and node.module == "flask":
                wrong += [f"{name}: {a.name}" for a in node.names if a.name in forbidden]
    assert not wrong, wrong


def _functions() -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    found = []
    for name in modules():
        for node in ast.walk(tree(name)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found.append((name, node))
    return found


def _decorators(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    return [ast.unparse(d) for d in function.decorator_list]


def _is_view(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(re.match(r"bp\.(route|get|post)\(", d) for d in _decorators(function))


def _docstring_and_body(function: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[bool, int]:
    body = function.body
    documented = ast.get_docstring(function) is not None
    rest = body[1:] if documented else body
    return documented, (rest[-1].end_lineno or 0) - rest[0].lineno + 1 if rest else 0


def test_modules_stay_under_400_lines() -> None:
    sizes = {name: len(path.read_text().splitlines()) for name, path in modules().items()}
    assert {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES} == {}


def test_functions_stay_under_40_lines() -> None:
    long = {
        f"{module}.{f.name}": (f.end_lineno or 0) - f.lineno + 1
        for module, f in _functions()
        if (f.end_lineno or 0) - f.lineno + 1 > MAX_FUNCTION_LINES
    }
    assert long == {}


def test_every_view_is_short_and_says_what_it_is_for() -> None:
    views = [(module, f) for module, f in _functions() if _is_view(f)]
    assert len(views) > 40
    undocumented, long = [], {}
    for module, view in views:
        documented, body = _docstring_and_body(view)
        if not documented:
            undocumented.append(f"{module}.{view.name}")
        if body > MAX_VIEW_BODY_LINES:
            long[f"{module}.{view.name}"] = body
    assert undocumented == [] and long == {}


def test_every_cli_command_has_a_docstring() -> None:
    commands = [
        (module, f)
        for module, f in _functions()
        if any(d.startswith("click.command") for d in _decorators(f))
    ]
    assert len(commands) >= 7
    assert [f.name for _, f in commands if ast.get_docstring(f) is None] == []


def test_views_leave_sql_and_transactions_to_services() -> None:
    wrong = []
    for name in modules():
        if not part(name).startswith("blueprint:"):
            continue
        for node in ast.walk(tree(name)):
            if not isinstance(node, ast.Call):
                continue
            called = ast.unparse(node.func)
            if called == "select" or called.endswith((".commit", ".rollback", ".execute")):
                wrong.append(f"{name}:{node.lineno} {called}(...)")
    assert not wrong, wrong


# -- docs/architecture.md ----------------------------------------------------------------------


def _named_in_architecture() -> list[str]:
    return BACKTICKED.findall(ARCHITECTURE.read_text(encoding="utf-8"))


def test_every_path_and_symbol_in_the_architecture_exists() -> None:
    broken = []
    for span in _named_in_architecture():
        reference = REFERENCE.fullmatch(span)
        if reference and (why := broken_reason(reference["path"], reference["symbol"])):
            broken.append(f"{span} ({why})")
        elif (
            not reference
            # a path in the repository: starts with a name, has a folder in it
            and re.fullmatch(r"\w[\w.-]*/[\w./-]*", span)
            and not (ROOT / span).exists()
        ):
            broken.append(f"{span} (no such path)")
    assert not broken, "docs/architecture.md names what does not exist:\n" + "\n".join(broken)


def test_the_architecture_has_a_line_for_every_module() -> None:
    named = set(_named_in_architecture())
    missing = [
        str(path.relative_to(ROOT))
        for path in modules().values()
        if str(path.relative_to(ROOT)) not in named
        and not any(span.startswith(f"{path.relative_to(ROOT)}:") for span in named)
    ]
    assert missing == []


@pytest.mark.parametrize(
    "document", ["README.md", *sorted(p.name for p in (ROOT / "docs").glob("*.md"))]
)
def test_no_document_points_outside_the_repository(document: str) -> None:
    path = ROOT / document if document == "README.md" else ROOT / "docs" / document
    assert "../shared" not in path.read_text(encoding="utf-8")
