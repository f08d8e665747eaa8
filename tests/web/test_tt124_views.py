"""The Circular 124 views stay thin: at most 25 lines each, and they never commit or roll back (the engine's use
cases own their transaction)."""

from __future__ import annotations

import ast
from pathlib import Path

VIEWS = Path(__file__).resolve().parents[2] / "web" / "tt124"


def _views():
    for path in sorted(VIEWS.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Call) and getattr(d.func, "attr", "") == "route" for d in node.decorator_list
            ):
                yield path.name, node


def test_views_are_short():
    views = list(_views())
    assert len(views) >= 9
    long = [(name, v.name, v.end_lineno - v.lineno + 1) for name, v in views if v.end_lineno - v.lineno + 1 > 25]
    assert not long


def test_views_never_commit_or_roll_back():
    for path in sorted(VIEWS.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert ".commit(" not in source and ".rollback(" not in source, path.name
