"""Business rule tasks: `<bpmn:businessRuleTask camunda:decisionRef="<decision id>">` evaluates a deployed DMN
decision table (engine.core.decision_tables) and merges its outputs into the task's data.

Rule: an instance evaluates the version of each decision that was the **latest deployed when the instance
started** (`pin_decisions`, called by `Runtime.new`; a decision first deployed later is pinned when first
evaluated). The versions are pinned in the instance (its top-level workflow data, key `DECISION_PINS`: decision
id -> decision definition id), so a running instance keeps its version's tables across saves and restores
whenever its business rule tasks run (an incident raised before a change and confirmed after it keeps the old
rule), and new instances take the newest deploy. The parsed process spec stays shared by
every instance: the task resolves its table when it runs, through the source the runtime attaches to the
workflow (`attach`), which reads the store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.specs.mixins import BpmnSpecMixin
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.specs.model import HitPolicy
from SpiffWorkflow.util.deep_merge import DeepMerge

from engine.core.decision_tables import decision_table
from engine.core.errors import DefinitionError, Problem
from engine.core.ports import DecisionRecord
from engine.core.xmlsafe import BPMN_MODEL_NS, CAMUNDA_NS

DECISION_PINS = "__decisions__"
DecisionSource = Callable[[str, int | None], DecisionRecord | None]  # (decision id, pinned id) -> version
_SOURCE = "cascade_decisions"  # the attribute of a live workflow holding its DecisionSource
B, C = f"{{{BPMN_MODEL_NS}}}", f"{{{CAMUNDA_NS}}}"


class _Engine(DMNEngine):
    """DMNEngine that stops at the first matching rule for UNIQUE and FIRST (a later rule is not evaluated)."""

    def decide(self, task: Any) -> list:
        if self.decision_table.hit_policy == HitPolicy.COLLECT.value:
            return super().decide(task)
        check = self._DMNEngine__check_rule  # type: ignore[attr-defined]
        return next(([rule] for rule in self.decision_table.rules if check(rule, task)), [])


class DecisionTask(BpmnSpecMixin):
    """A business rule task: the table is the pinned version of `decision_ref`, else its latest deploy."""

    def __init__(self, wf_spec: Any, bpmn_id: str, decision_ref: str, **kwargs: Any):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.decision_ref = decision_ref

    def _run_hook(self, my_task: Any) -> bool:
        record = pinned_decision(my_task.workflow.top_workflow, self.decision_ref, my_task)
        try:
            table = decision_table(record)
        except DefinitionError as exc:  # a stored version that no longer passes the checks: never evaluated
            message = f"decision '{record.decision_key}' v{record.version} cannot be evaluated: {exc}"
            raise WorkflowTaskException(message, task=my_task) from exc
        result = _Engine(table).result(my_task)  # every cell runs in the restricted environment (sandbox)
        my_task.data = DeepMerge.merge(my_task.data, result)
        return super()._run_hook(my_task)


class DecisionTaskParser(CamundaTaskParser):
    """Reads `camunda:decisionRef` (no DMN is needed to parse the process; deploy checks it is deployed)."""

    def create_task(self) -> DecisionTask:
        ref = self.get_decision_ref(self.node)
        return DecisionTask(self.spec, self.bpmn_id, decision_ref=ref, **self.bpmn_attributes)

    @staticmethod
    def get_decision_ref(node: etree._Element) -> str:
        return (node.get(C + "decisionRef") or "").strip()


class DecisionTaskConverter(BpmnTaskSpecConverter):
    """Serializes a DecisionTask with the decision it names (never a table: that is resolved per instance)."""

    def to_dict(self, spec: DecisionTask) -> dict:
        return {**self.get_default_attributes(spec), "decision_ref": spec.decision_ref}


def pinned_decision(top: Any, key: str, task: Any = None) -> DecisionRecord:
    """The decision's version for this instance: pinned, else the latest deployed (then pinned)."""
    source: DecisionSource | None = getattr(top, _SOURCE, None)
    if source is None:
        raise WorkflowTaskException(f"no decision tables are available to evaluate '{key}'", task=task)
    pins = top.data.get(DECISION_PINS) or {}
    record = source(key, pins.get(key))
    if record is None:
        raise WorkflowTaskException(f"decision '{key}' is not deployed", task=task)
    if key not in pins:
        top.data[DECISION_PINS] = {**pins, key: record.id}
    return record


def pin_decisions(workflow: Any) -> None:
    """At the instance's start: pin the latest deployed version of every decision its diagram evaluates."""
    source: DecisionSource | None = getattr(workflow, _SOURCE, None)
    if source is None:
        return
    pins = dict(workflow.data.get(DECISION_PINS) or {})
    for spec in [workflow.spec, *workflow.subprocess_specs.values()]:
        refs = spec.__dict__.get("_cascade_decision_refs")
        if refs is None:  # read once per parsed spec, which every instance of the version shares
            refs = spec._cascade_decision_refs = sorted(
                {t.decision_ref for t in spec.task_specs.values() if isinstance(t, DecisionTask) and t.decision_ref}
            )
        for ref in refs:
            record = None if ref in pins else source(ref, None)
            if record is not None:
                pins[ref] = record.id
    if pins:
        workflow.data[DECISION_PINS] = pins


def attach(workflow: Any, source: DecisionSource | None) -> None:
    """Give a live workflow the source its business rule tasks read their tables from."""
    if source is not None:
        setattr(workflow, _SOURCE, source)


def decision_resolver(store: Any) -> DecisionSource:
    """Pinned version by id, else the latest deployed version of the decision."""
    return lambda key, pinned: store.decision(pinned) if pinned else store.latest_decision(key)


def decision_refs(root: etree._Element) -> dict[str, str]:
    """Business rule task id -> the decision it names ('' when none)."""
    return {node.get("id"): (node.get(C + "decisionRef") or "").strip() for node in root.iter(B + "businessRuleTask")}


def decision_ref_problems(root: etree._Element, decided: Callable[[str], bool] | None) -> list[Problem]:
    """A business rule task must name a decision that is deployed (`decided(decision id)`); without `decided`
    only the naming is checked."""
    out = []
    for element, ref in decision_refs(root).items():
        if not ref:
            out.append(Problem(element, "the business rule task names no decision (camunda:decisionRef)"))
        elif decided is not None and not decided(ref):
            out.append(Problem(element, f"evaluates the DMN decision '{ref}', which is not deployed"))
    return out


__all__ = [
    "DECISION_PINS",
    "DecisionSource",
    "DecisionTask",
    "DecisionTaskConverter",
    "DecisionTaskParser",
    "attach",
    "decision_ref_problems",
    "decision_refs",
    "decision_resolver",
    "pin_decisions",
    "pinned_decision",
]
