"""bpmnlint (the modeller's rules, `.bpmnlintrc`) run on the server through `node frontend/lint.mjs`, and the
auto-layout filter for uploads that have no diagram (`node frontend/layout.mjs -`)."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass

from web.config import ROOT

TIMEOUT = 30


@dataclass
class LintProblem:
    element: str | None
    message: str
    rule: str
    error: bool


def _node() -> str | None:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "bpmnlint").is_dir():
        return None
    return node


def available() -> bool:
    return _node() is not None


def bpmnlint(xml: bytes) -> list[LintProblem]:
    """The lint report of one file; a missing Node.js or a failing run is reported as one warning."""
    node = _node()
    if node is None:
        return [LintProblem(None, "bpmnlint is not installed on the server (run scripts/setup.sh)", "bpmnlint", False)]
    try:
        run = subprocess.run(  # noqa: S603 - a fixed command; the file goes in on stdin
            [node, str(ROOT / "frontend" / "lint.mjs")],
            input=xml,
            capture_output=True,
            timeout=TIMEOUT,
            cwd=ROOT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return [LintProblem(None, "bpmnlint took too long", "bpmnlint", True)]
    if run.returncode != 0:
        message = run.stderr.decode("utf-8", "replace").strip()[:500] or f"exit code {run.returncode}"
        return [LintProblem(None, f"bpmnlint could not read the file: {message}", "bpmnlint", True)]
    return [
        LintProblem(
            p.get("element"),
            " ".join(str(p.get("message", "")).split()),
            p.get("rule", ""),
            p.get("category") == "error",
        )
        for p in json.loads(run.stdout or b"[]")
    ]


def auto_layout(xml: bytes) -> bytes:
    """The file with a diagram laid out by bpmn-auto-layout when it has none (unchanged when Node.js is
    missing or the layout fails: bpmn-js then shows its import warnings)."""
    node = _node()
    if node is None:
        return xml
    try:
        run = subprocess.run(  # noqa: S603 - a fixed command; the file goes in on stdin
            [node, str(ROOT / "frontend" / "layout.mjs"), "-"],
            input=xml,
            capture_output=True,
            timeout=TIMEOUT,
            cwd=ROOT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return xml
    return run.stdout if run.returncode == 0 and run.stdout.strip() else xml
