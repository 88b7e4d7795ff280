"""Mail flows one way: services queue it, myblog.delivery sends it, services never import it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import myblog.services

SERVICES = Path(myblog.services.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports by absolute name, at any depth (function-level too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_service_module_names_delivery():
    offenders = {
        str(path.relative_to(SERVICES)): sorted(
            name for name in imported_modules(path) if name.startswith("myblog.delivery")
        )
        for path in sorted(SERVICES.rglob("*.py"))
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_importing_every_service_loads_no_delivery_module():
    modules = sorted(
        "myblog.services." + ".".join(path.relative_to(SERVICES).with_suffix("").parts)
        for path in SERVICES.rglob("*.py")
        if path.name != "__init__.py"
    )
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.startswith('myblog.delivery')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
