"""Every shipped workflow opens in the project's bpmn-js bundle with no import warning and survives a save there:
Cascade reads the saved file back with the same loop limits, forms, candidates, deadlines, timers, conditions,
scripts, messages and properties, and it still deploys (issue 17: bpmn.io used to drop every loop limit)."""

from __future__ import annotations

from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import StandardLoopTask

from engine.core.forms import form_fields
from engine.core.parser import load_definition
from engine.core.validation import validate_definition
from models.roles import ROLES
from tests.browser.test_browser import live_server, login, page  # noqa: F401 - fixtures
from tests.browser.test_modeller_browser import bundles  # noqa: F401 - fixture
from web.config import ROOT

pytestmark = pytest.mark.browser
SHIPPED = sorted((ROOT / "workflows").glob("*.bpmn"))


def described(value, depth: int = 0):
    """A value as plain data: objects become their class name and described attributes (no addresses)."""
    if depth > 4:
        return type(value).__name__
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [described(v, depth + 1) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, dict):
        return sorted((str(k), described(v, depth + 1)) for k, v in value.items())
    if hasattr(value, "__dict__") and not isinstance(value, type):
        return (type(value).__name__, sorted((k, described(v, depth + 1)) for k, v in vars(value).items()))
    return value


def meaning(xml: bytes) -> dict:
    """What Cascade runs from a file, per process and element: everything an administrator sets in it."""
    parsed = load_definition(xml, calls_out=True)
    out: dict = {}
    for pid in parsed.process_ids:
        spec, subprocesses = parsed.specs[pid]
        for process in [spec, *subprocesses.values()]:
            for name, task in process.task_specs.items():
                if not getattr(task, "bpmn_id", None):
                    continue
                event = getattr(task, "event_definition", None)
                out[(pid, process.name, name)] = {
                    "type": type(task).__name__,
                    "name": task.bpmn_name,
                    "lane": task.lane,
                    "extensions": described(getattr(task, "extensions", None) or {}),
                    "form": [repr(f) for f in form_fields(task)],
                    "loop_maximum": task.maximum if isinstance(task, StandardLoopTask) else None,
                    "loop_condition": getattr(task, "condition", None),
                    "script": getattr(task, "script", None),
                    "event": described(event),
                    "flows": sorted(
                        ((name, cond.args[0] if cond is not None else None) for cond, name in task.cond_task_specs),
                        key=repr,
                    )
                    if hasattr(task, "cond_task_specs")
                    else sorted(o.name for o in task.outputs),
                    "default": getattr(task, "default_task_spec", None),
                    "documentation": task.documentation,
                }
    return out


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_a_shipped_workflow_imports_without_warnings_and_saves_with_nothing_lost(live_server, page, path: Path):  # noqa: F811
    original = path.read_bytes()
    login(page, live_server, "admin")
    page.goto(f"{live_server}/modeller/school_plan")
    page.wait_for_selector("#modeller[data-ready='true']")
    result = page.evaluate(
        """async (xml) => {
            const modeler = window.cascadeModeler;
            const { warnings } = await modeler.importXML(xml);
            const { xml: saved } = await modeler.saveXML({ format: true });
            return { warnings: warnings.map(w => w.message), saved };
        }""",
        original.decode(),
    )
    assert result["warnings"] == []
    saved = result["saved"].encode()
    assert b"loopMaximum>" not in saved  # the attribute, never the child element bpmn.io cannot read
    before, after = meaning(original), meaning(saved)
    assert after.keys() == before.keys()
    changed = {key: (before[key], after[key]) for key in before if before[key] != after[key]}
    assert changed == {}
    assert validate_definition(saved, known_roles=set(ROLES)) == []
