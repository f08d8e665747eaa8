"""Deploy-time checks of a parsed definition; each problem names the BPMN element it concerns."""

from __future__ import annotations

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask

from engine.errors import DefinitionError, Problem
from engine.forms import TYPES, form_fields
from engine.orgs import SCOPES
from engine.scripting import check_expression, check_script
from engine.xmlsafe import BPMN_MODEL_NS

UNSUPPORTED = {
    "adHocSubProcess": "ad-hoc sub-processes do not run in SpiffWorkflow 3.2 (engine-notes §1.2)",
    "businessRuleTask": "business rule tasks need DMN, which Cascade does not deploy",
    "complexGateway": "complex gateways are not supported",
}


def validate_definition(definition, *, known_roles: set[str]) -> list[Problem]:
    from engine.parser import load_definition

    if isinstance(definition, (bytes, str)):
        try:
            definition = load_definition(definition)
        except DefinitionError as exc:
            return exc.problems or [Problem(None, str(exc))]
    problems: list[Problem] = []
    root = definition.root
    for tag, why in UNSUPPORTED.items():
        for node in root.iter(f"{{{BPMN_MODEL_NS}}}{tag}"):
            problems.append(Problem(node.get("id"), why))
    for node in root.iter(f"{{{BPMN_MODEL_NS}}}subProcess"):
        if node.get("triggeredByEvent") == "true":
            problems.append(
                Problem(
                    node.get("id"),
                    "event sub-processes run non-interrupting only, and error or "
                    "escalation starts fire at once in SpiffWorkflow 3.2",
                )
            )
    for node in root.iter(f"{{{BPMN_MODEL_NS}}}intermediateCatchEvent"):
        if node.find(f"{{{BPMN_MODEL_NS}}}conditionalEventDefinition") is not None:
            problems.append(Problem(node.get("id"), "conditional catch events are never re-checked by the engine"))
    for node in root.iter(f"{{{BPMN_MODEL_NS}}}conditionExpression"):
        error = check_expression((node.text or "").strip()) if (node.text or "").strip() else None
        if error:
            problems.append(Problem(node.getparent().get("id"), f"condition does not compile: {error}"))
    for spec, subs in definition.specs.values():
        for process in [spec, *subs.values()]:
            for task_spec in process.task_specs.values():
                problems += _check_task(task_spec, known_roles)
    seen, unique = set(), []
    for p in problems:
        if (p.element_id, p.message) not in seen:
            seen.add((p.element_id, p.message))
            unique.append(p)
    return unique


def _check_task(task_spec, known_roles: set[str]) -> list[Problem]:
    out = []
    element = getattr(task_spec, "bpmn_id", None) or task_spec.name
    ext = getattr(task_spec, "extensions", None) or {}
    if type(task_spec).__name__ == "UserTask":
        groups = ext.get("candidateGroups") or ([task_spec.lane] if task_spec.lane else [])
        if not groups and not ext.get("candidateUsers"):
            out.append(Problem(element, "user task has no candidate group or lane: nobody could do it"))
        for group in groups:
            role, _, scope = group.partition("@")
            if role not in known_roles:
                out.append(Problem(element, f"unknown role '{role}' (known: {', '.join(sorted(known_roles))})"))
            if scope and scope not in SCOPES:
                out.append(Problem(element, f"unknown scope '@{scope}' (known: {', '.join(SCOPES)})"))
        ids = set()
        for f in form_fields(task_spec):
            if f.id in ids:
                out.append(Problem(element, f"form field '{f.id}' is declared twice"))
            ids.add(f.id)
            if f.type not in TYPES:
                out.append(Problem(element, f"form field '{f.id}' has unknown type '{f.type}'"))
            if f.type == "enum" and not f.options:
                out.append(Problem(element, f"enum field '{f.id}' has no values"))
        due = ext.get("dueDate")
        if due:
            from engine.parser import is_iso_literal

            if not is_iso_literal(due) and (error := check_expression(due)):
                out.append(Problem(element, f"due date does not compile: {error}"))
    if isinstance(task_spec, ScriptTask):
        error = check_script(task_spec.script or "")
        if error:
            out.append(Problem(element, f"script does not compile: {error}"))
    definition = getattr(task_spec, "event_definition", None)
    if isinstance(definition, TimerEventDefinition):
        error = check_expression(definition.expression or "")
        if error:
            out.append(Problem(element, f"timer does not compile: {error}"))
    expression = getattr(definition, "expression", None) if definition is not None else None
    if definition is not None and type(definition).__name__ == "MessageEventDefinition" and expression:
        error = check_expression(expression)
        if error:
            out.append(Problem(element, f"message payload does not compile: {error}"))
    if type(task_spec).__name__ == "ServiceTask" and not (ext.get("service") or ext.get("topic")):
        out.append(Problem(element, "service task names no service (property 'service')"))
    return out
