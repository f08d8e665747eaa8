"""The layer rules, checked over every module of every package (recursively):

- `engine/core/` knows no feature: it imports SpiffWorkflow, lxml, RestrictedPython, the standard library and itself.
- a feature package (`engine/documents/`, `engine/incidents/`, …) imports core's public modules and, of other
  features, only their pure modules (rules, grammar, layout and ports: FEATURE_PURE), never their services.
- `engine/__init__.py` is the composition root: it alone registers every feature with the core.
- nothing in `engine/` imports a web framework, an ORM, `models`, `web` or `seed`.
- `models/` never imports `web` or `seed`; `seed/` never imports `web`.
- no app module is longer than 400 lines (the seed's data tables excepted).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP_PACKAGES = ("engine", "models", "web", "seed")
STDLIB = set(sys.stdlib_module_names) | {"__future__"}
CORE_ALLOWED = STDLIB | {"SpiffWorkflow", "lxml", "RestrictedPython", "engine"}
FEATURE_PURE = {
    "rules",
    "nd30",
    "dates",
    "numbering",
    "word",
    "distribution",
    "ports",
}  # what other features may import (pure)
FRAMEWORKS = {"flask", "flask_login", "flask_wtf", "flask_babel", "flask_sqlalchemy", "flask_migrate", "sqlalchemy"}
FRAMEWORKS |= {"werkzeug", "jinja2", "psycopg", "alembic"}
MAX_LINES = 400
EXEMPT_FROM_SIZE = {"seed/data.py"}


def modules(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)


def imports(path: Path) -> set[str]:
    """Absolute module names imported anywhere in the file (relative imports resolved against its package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # `from engine.core import cascade`
    return names


def violations(path: Path) -> list[str]:
    rel = path.relative_to(ROOT).as_posix()
    top, *rest = path.relative_to(ROOT).with_suffix("").parts
    found = []
    for name in imports(path):
        first = name.split(".")[0]
        if top == "engine":
            if first in FRAMEWORKS or first in {"models", "web", "seed"}:
                found.append(f"{rel} imports {name}: the engine knows no framework, storage or app layer")
            elif rest and rest[0] == "core" and first not in CORE_ALLOWED:
                found.append(f"{rel} imports {name}: core imports only SpiffWorkflow, lxml, RestrictedPython, stdlib")
            elif name.startswith("engine.") and not name.startswith("engine.core"):
                parts = name.split(".")
                feature = parts[1]
                if rest and rest[0] == "core":
                    found.append(f"{rel} imports {name}: core knows no feature")
                elif rest != ["__init__"] and rest[0] != feature and len(parts) > 2 and parts[2] not in FEATURE_PURE:
                    found.append(f"{rel} imports {name}: another feature's {parts[2]} (only its rules)")
        elif top == "models" and first in {"web", "seed"}:
            found.append(f"{rel} imports {name}: models never import web or seed")
        elif top == "seed" and first == "web":
            found.append(f"{rel} imports {name}: seed never imports web")
    return found


def test_every_package_is_walked():
    walked = {p.relative_to(ROOT).parts[1] for p in modules("engine") if len(p.relative_to(ROOT).parts) > 2}
    assert {"core", "documents", "incidents", "reporting", "tt124"} <= walked


@pytest.mark.parametrize("package", APP_PACKAGES)
def test_layer_rules(package):
    offenders = [v for path in modules(package) for v in violations(path)]
    assert offenders == []


@pytest.mark.parametrize("package", APP_PACKAGES)
def test_no_app_module_over_400_lines(package):
    long = {}
    for path in modules(package):
        rel = path.relative_to(ROOT).as_posix()
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES and rel not in EXEMPT_FROM_SIZE:
            long[rel] = lines
    assert long == {}


def test_the_rules_catch_a_violation():
    """A feature reaching into another feature's services, and core reaching into a feature, are both caught."""
    fake = ROOT / "engine" / "core" / "_probe_violation.py"
    fake.write_text("from engine.reporting.services import open_period\nimport flask\n", encoding="utf-8")
    try:
        found = violations(fake)
    finally:
        fake.unlink()
    assert any("core knows no feature" in v for v in found)
    assert any("framework" in v for v in found)


def _views(path: Path):
    """Flask view functions: decorated with `<blueprint>.route/get/post/…`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for deco in node.decorator_list:
                call = deco.func if isinstance(deco, ast.Call) else deco
                if isinstance(call, ast.Attribute) and call.attr in {"route", "get", "post", "put", "delete"}:
                    yield node
                    break


def test_views_are_short_and_never_commit():
    """A view parses the request, calls one use case or read query, and renders: at most 25 lines, and the
    transaction belongs to the use case (no commit or rollback in a view)."""
    long, committing, count = {}, {}, 0
    for path in modules("web"):
        rel = path.relative_to(ROOT).as_posix()
        for view in _views(path):
            count += 1
            lines = view.end_lineno - view.lineno + 1
            if lines > 25:
                long[f"{rel}:{view.name}"] = lines
            calls = {
                n.func.attr for n in ast.walk(view) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            }
            if calls & {"commit", "rollback"}:
                committing[f"{rel}:{view.name}"] = sorted(calls & {"commit", "rollback"})
    assert count >= 50
    assert long == {}
    assert committing == {}
