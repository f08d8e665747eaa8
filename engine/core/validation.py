"""Deploy-time checks of a BPMN definition; each problem names the BPMN element it concerns.

Two passes: one over the XML (constructs the engine cannot run, expressions, timers, message throws),
one over the parsed specs (assignment of user tasks, forms, scripts).
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.camunda.specs.user_task import UserTask

from engine.core.errors import DefinitionError, FormValidationError, Problem
from engine.core.forms import TYPES, coerce_value, form_fields, message
from engine.core.orgs import SCOPES
from engine.core.scripting import check_expression, check_script
from engine.core.xmlsafe import BPMN_MODEL_NS, CAMUNDA_NS, parse_xml, rewrite_foreign_camunda_namespace

B = f"{{{BPMN_MODEL_NS}}}"
C = f"{{{CAMUNDA_NS}}}"

UNSUPPORTED = {
    "adHocSubProcess": "ad-hoc sub-processes do not run in SpiffWorkflow 3.2 (engine-notes §1.2)",
    "businessRuleTask": "business rule tasks need DMN, which Cascade does not deploy",
    "complexGateway": "complex gateways are not supported",
    "receiveTask": (
        "receive tasks never get Cascade's messages (SpiffWorkflow's Camunda parser gives them another kind of "
        "message definition, engine-notes §1.2); use an intermediate message catch event"
    ),
    "sendTask": (
        "send tasks send the whole task data as the payload (engine-notes §1.2); use an intermediate message "
        "throw event with camunda:expression"
    ),
    "task": "an untyped task waits for a person but nobody gets it in an inbox; use a user task with a candidate group",
    "manualTask": "a manual task waits for a person but nobody gets it in an inbox; use a user task (candidate group)",
}
KNOWN_CONSTRAINTS = ("required", "readonly", "min", "max", "minlength", "maxlength")
_FIELD_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def validate_definition(
    definition: Any, *, known_roles: set[str], known_messages: set[str] | None = None
) -> list[Problem]:
    """Every problem that would stop this definition from running as intended; [] when it can be deployed.

    `definition` is a parser.Definition or the file's bytes/str (a file that fails to load gives its
    load problems, after any unsupported constructs found in its XML). With `known_messages` (the message
    names other deployed processes catch), every message thrown must have a catcher here or there.
    """
    from engine.core.parser import load_definition

    problems: list[Problem] = []
    if isinstance(definition, (bytes, bytearray, str)):
        try:
            root = rewrite_foreign_camunda_namespace(
                parse_xml(bytes(definition) if isinstance(definition, bytearray) else definition)
            )
        except DefinitionError as exc:
            return exc.problems or [Problem(None, str(exc))]
        problems += _xml_problems(root)
        if known_messages is not None:
            problems += _catcher_problems(root, known_messages)
        try:
            definition = load_definition(definition)
        except DefinitionError as exc:
            return _unique(problems + (exc.problems or [Problem(None, str(exc))]))
    else:
        problems += _xml_problems(definition.root)
        if known_messages is not None:
            problems += _catcher_problems(definition.root, known_messages)
    problems += _spec_problems(definition, known_roles)
    return _unique(problems)


def _unique(problems: Iterable[Problem]) -> list[Problem]:
    seen: set[tuple[str | None, str]] = set()
    out = []
    for p in problems:
        if (p.element_id, p.message) not in seen:
            seen.add((p.element_id, p.message))
            out.append(p)
    return out


def _owner_id(node: etree._Element) -> str | None:
    """The id of the nearest ancestor-or-self that has one (the BPMN element a child node belongs to)."""
    current: etree._Element | None = node
    while current is not None:
        if current.get("id"):
            return current.get("id")
        current = current.getparent()
    return None


def _text(node: etree._Element | None) -> str:
    return (node.text or "").strip() if node is not None else ""


# --- XML pass ---------------------------------------------------------------------------------------------
def _xml_problems(root: etree._Element) -> list[Problem]:
    out: list[Problem] = []
    for tag, why in UNSUPPORTED.items():
        for node in root.iter(B + tag):
            out.append(Problem(node.get("id"), why))
    out += _event_subprocess_problems(root)
    for node in root.iter(B + "intermediateCatchEvent", B + "boundaryEvent"):
        if node.find(B + "conditionalEventDefinition") is not None:
            out.append(
                Problem(
                    node.get("id"),
                    "conditional catch events are never re-checked by the engine (use a gateway or a timer instead)",
                )
            )
    out += _expression_problems(root)
    out += _timer_problems(root)
    out += _message_throw_problems(root)
    out += _loop_problems(root)
    out += _boundary_on_loop_problems(root)
    return out


def _boundary_on_loop_problems(root: etree._Element) -> list[Problem]:
    """An interrupting boundary event on a standard-loop sub-process crashes SpiffWorkflow 3.2 when it fires."""
    looped = {
        node.get("id")
        for node in root.iter(B + "subProcess", B + "transaction", B + "callActivity")
        if node.find(B + "standardLoopCharacteristics") is not None
    }
    out = []
    for event in root.iter(B + "boundaryEvent"):
        if event.get("attachedToRef") in looped and event.get("cancelActivity", "true") != "false":
            out.append(
                Problem(
                    event.get("id"),
                    f"an interrupting boundary event on the looped sub-process '{event.get('attachedToRef')}' "
                    "crashes the engine when it fires; make it non-interrupting or wait with an event-based "
                    "gateway inside the loop",
                )
            )
    return out


def _message_names(root: etree._Element) -> dict[str, str]:
    """bpmn:message id → name."""
    return {m.get("id"): m.get("name") or m.get("id") for m in root.iter(B + "message") if m.get("id")}


def _event_message(event: etree._Element, names: dict[str, str]) -> str | None:
    definition = event.find(B + "messageEventDefinition")
    if definition is None:
        return None
    ref = definition.get("messageRef")
    return names.get(ref, ref) if ref else None


def thrown_messages(root: etree._Element) -> dict[str, str]:
    """Message name → id of an element that throws it (intermediate throw or end event)."""
    names = _message_names(root)
    out: dict[str, str] = {}
    for event in root.iter(B + "intermediateThrowEvent", B + "endEvent"):
        name = _event_message(event, names)
        if name:
            out.setdefault(name, event.get("id"))
    return out


def caught_messages(root: etree._Element) -> set[str]:
    """Names of the messages this file waits for (start, intermediate catch and boundary events)."""
    names = _message_names(root)
    out = set()
    for event in root.iter(B + "startEvent", B + "intermediateCatchEvent", B + "boundaryEvent"):
        name = _event_message(event, names)
        if name:
            out.add(name)
    return out


def _catcher_problems(root: etree._Element, known_messages: set[str]) -> list[Problem]:
    caught = caught_messages(root) | set(known_messages)
    out = []
    names = _message_names(root)
    for event in root.iter(B + "intermediateThrowEvent", B + "endEvent"):
        name = _event_message(event, names)
        if name and name not in caught:
            out.append(
                Problem(
                    event.get("id"),
                    f"message '{name}' is thrown but no deployed process (nor this file) catches it",
                )
            )
        elif event.find(B + "messageEventDefinition") is not None and not name:
            out.append(Problem(event.get("id"), "message throw names no message (messageRef)"))
    return out


def _event_subprocess_problems(root: etree._Element) -> list[Problem]:
    out = []
    for sub in root.iter(B + "subProcess"):
        if sub.get("triggeredByEvent") != "true":
            continue
        for start in sub.findall(B + "startEvent"):
            kinds = [
                etree.QName(d).localname for d in start if isinstance(d.tag, str) and d.tag.endswith("EventDefinition")
            ]
            if "errorEventDefinition" in kinds or "escalationEventDefinition" in kinds:
                out.append(
                    Problem(
                        start.get("id") or sub.get("id"),
                        "error and escalation event sub-processes start at once in SpiffWorkflow 3.2",
                    )
                )
            elif start.get("isInterrupting", "true") != "false":
                out.append(
                    Problem(
                        start.get("id") or sub.get("id"),
                        "interrupting event sub-processes are not supported (SpiffWorkflow 3.2 never "
                        'interrupts); set isInterrupting="false"',
                    )
                )
    return out


def _expression_problems(root: etree._Element) -> list[Problem]:
    out = []
    checks = (
        ("conditionExpression", "condition"),
        ("loopCondition", "loop condition"),
        ("completionCondition", "completion condition"),
    )
    for tag, what in checks:
        for node in root.iter(B + tag):
            text = _text(node)
            if not text:
                if tag == "conditionExpression":
                    out.append(Problem(_owner_id(node), f"{what} is empty"))
                continue
            error = check_expression(text)
            if error:
                out.append(Problem(_owner_id(node), f"{what} does not compile: {error}"))
    return out


def _timer_problems(root: etree._Element) -> list[Problem]:
    from engine.core.parser import TIMER_KINDS, iso_literal_kind

    out = []
    for definition in root.iter(B + "timerEventDefinition"):
        element = _owner_id(definition)
        specs = [n for n in definition if isinstance(n.tag, str) and etree.QName(n).localname in TIMER_KINDS]
        if not specs:
            out.append(Problem(element, "timer has no timeDate, timeDuration or timeCycle"))
            continue
        node = specs[0]
        tag = etree.QName(node).localname
        text = _text(node)
        if not text:
            out.append(Problem(element, f"timer {tag} is empty"))
            continue
        kind = iso_literal_kind(text)
        if kind is None:
            error = check_expression(text)
            if error:
                out.append(Problem(element, f"timer does not compile: {error}"))
        elif kind != TIMER_KINDS[tag]:
            out.append(Problem(element, f"timer {tag} '{text}' is an ISO-8601 {kind}, not a {TIMER_KINDS[tag]}"))
        else:
            error = _iso_error(kind, text)
            if error:
                out.append(Problem(element, f"timer {tag} '{text}' is not valid: {error}"))
    return out


def _iso_error(kind: str, text: str) -> str | None:
    """Run SpiffWorkflow's own ISO parsing on a literal; None when it accepts it."""
    try:
        if kind == "duration":
            TimerEventDefinition.parse_iso_duration(text)
        elif kind == "date":
            TimerEventDefinition.parse_time_or_duration(text)
        else:
            TimerEventDefinition.parse_iso_recurring_interval(text)
    except Exception as exc:  # noqa: BLE001 - SpiffWorkflow raises bare Exception/ValueError/AttributeError
        return str(exc) or type(exc).__name__
    return None


def _message_throw_problems(root: etree._Element) -> list[Problem]:
    out = []
    for event in root.iter(B + "intermediateThrowEvent", B + "endEvent"):
        definition = event.find(B + "messageEventDefinition")
        if definition is None:
            continue
        expression = definition.get(C + "expression")
        if expression is None or not expression.strip():
            out.append(
                Problem(
                    event.get("id"), "message throw has no camunda:expression (its payload); the engine cannot send it"
                )
            )
            continue
        error = check_expression(expression)
        if error:
            out.append(Problem(event.get("id"), f"message payload does not compile: {error}"))
    return out


def _loop_problems(root: etree._Element) -> list[Problem]:
    out = []
    for loop in root.iter(B + "multiInstanceLoopCharacteristics"):
        element = _owner_id(loop.getparent()) if loop.getparent() is not None else None
        if loop.find(B + "loopDataInputRef") is not None or loop.find(B + "inputDataItem") is not None:
            out.append(
                Problem(
                    element,
                    "multi-instance over loopDataInputRef/inputDataItem is refused by the Camunda parser "
                    "(engine-notes §1.2); use camunda:collection and camunda:elementVariable",
                )
            )
        cardinality = loop.find(B + "loopCardinality")
        if cardinality is not None and not re.fullmatch(r"\s*\d+\s*", cardinality.text or ""):
            out.append(
                Problem(
                    element,
                    "multi-instance loopCardinality must be an integer literal (use camunda:collection for a list)",
                )
            )
        if loop.get(C + "collection") is not None and not loop.get(C + "elementVariable"):
            out.append(Problem(element, "multi-instance camunda:collection needs camunda:elementVariable"))
    for loop in root.iter(B + "standardLoopCharacteristics"):
        element = _owner_id(loop.getparent()) if loop.getparent() is not None else None
        maximum = loop.get("loopMaximum") or _text(loop.find(B + "loopMaximum"))
        if maximum and not maximum.isdigit():
            out.append(Problem(element, f"loopMaximum '{maximum}' is not a whole number"))
    return out


# --- spec pass --------------------------------------------------------------------------------------------
def _all_task_specs(definition: Any) -> Iterable[Any]:
    seen: set[int] = set()
    for spec, subs in definition.specs.values():
        for process in (spec, *subs.values()):
            if id(process) in seen:
                continue
            seen.add(id(process))
            yield from process.task_specs.values()


def _spec_problems(definition: Any, known_roles: set[str]) -> list[Problem]:
    out: list[Problem] = []
    for task_spec in _all_task_specs(definition):
        element = getattr(task_spec, "bpmn_id", None) or task_spec.name
        ext = getattr(task_spec, "extensions", None) or {}
        if isinstance(task_spec, UserTask):
            out += _assignment_problems(element, task_spec, ext, known_roles)
            out += _form_problems(element, task_spec)
            for attribute in ("dueDate", "followUpDate"):
                out += _date_expression_problems(element, attribute, ext.get(attribute))
        script = getattr(task_spec, "script", None)
        if type(task_spec).__name__ == "ScriptTask":
            if not (script or "").strip():
                out.append(Problem(element, "script task has no script"))
            elif error := check_script(script):
                out.append(Problem(element, f"script does not compile: {error}"))
        if type(task_spec).__name__ == "ServiceTask" and not (ext.get("service") or ext.get("topic")):
            out.append(Problem(element, "service task names no service (property 'service')"))
    return out


def _assignment_problems(element: str, task_spec: Any, ext: dict, known_roles: set[str]) -> list[Problem]:
    out = []
    groups = list(ext.get("candidateGroups") or [])
    source = "candidate group"
    if not groups and task_spec.lane:
        groups, source = [task_spec.lane.strip()], "lane"
    if not groups and not ext.get("candidateUsers"):
        return [Problem(element, "user task has no candidate group or lane: nobody could do it")]
    for group in groups:
        role, _, scope = group.partition("@")
        if role not in known_roles:
            out.append(
                Problem(
                    element, f"unknown role '{role}' in {source} '{group}' (known: {', '.join(sorted(known_roles))})"
                )
            )
        if scope and scope not in SCOPES:
            out.append(Problem(element, f"unknown scope '@{scope}' in {source} '{group}' (known: {', '.join(SCOPES)})"))
    return out


def _form_problems(element: str, task_spec: Any) -> list[Problem]:
    out = []
    raw_fields = getattr(getattr(task_spec, "form", None), "fields", None) or []
    seen: set[str] = set()
    for raw, f in zip(raw_fields, form_fields(task_spec), strict=True):
        name = f.id or "?"
        if not f.id:
            out.append(Problem(element, "a form field has no id"))
        elif not _FIELD_ID.match(f.id) or keyword.iskeyword(f.id):
            out.append(
                Problem(
                    element,
                    f"form field id '{f.id}' must be a name like so_van_ban "
                    "(letters, digits, underscores, starting with a letter)",
                )
            )
        if f.id in seen:
            out.append(Problem(element, f"form field '{name}' is declared twice"))
        seen.add(f.id)
        if f.type not in TYPES:
            out.append(Problem(element, f"form field '{name}' has unknown type '{f.type}' (known: {', '.join(TYPES)})"))
        if f.type == "enum":
            if not f.options:
                out.append(Problem(element, f"enum field '{name}' has no values"))
            ids = [o for o, _ in f.options]
            if len(set(ids)) != len(ids):
                out.append(Problem(element, f"enum field '{name}' repeats a value id"))
        constraints = [(v.name, v.config) for v in (getattr(raw, "validation", None) or [])]
        for cname, config in constraints:
            if cname not in KNOWN_CONSTRAINTS:
                out.append(
                    Problem(
                        element,
                        f"form field '{name}' has unknown constraint '{cname}' (known: {', '.join(KNOWN_CONSTRAINTS)})",
                    )
                )
            elif cname in ("min", "max") and _float(config) is None:
                out.append(Problem(element, f"form field '{name}': {cname} '{config}' is not a number"))
            elif cname in ("minlength", "maxlength") and not str(config or "").strip().isdigit():
                out.append(Problem(element, f"form field '{name}': {cname} '{config}' is not a whole number"))
        if f.min is not None and f.max is not None and f.min > f.max:
            out.append(Problem(element, f"form field '{name}': min is greater than max"))
        if f.minlength is not None and f.maxlength is not None and f.minlength > f.maxlength:
            out.append(Problem(element, f"form field '{name}': minlength is greater than maxlength"))
        if f.default not in (None, "") and f.type in TYPES:
            try:
                coerce_value(f, f.default)
            except FormValidationError as exc:
                reason = message(next(iter(exc.errors.values())), "en")
                out.append(Problem(element, f"form field '{name}': default '{f.default}' is not valid: {reason}"))
    return out


def _float(text: Any) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _date_expression_problems(element: str, attribute: str, value: Any) -> list[Problem]:
    from engine.core.parser import iso_literal_kind

    if value is None or not str(value).strip():
        return []
    text = str(value).strip()
    kind = iso_literal_kind(text)
    if kind == "cycle":
        return [Problem(element, f"{attribute} '{text}' is a repeating interval; use a duration or a date")]
    if kind is not None:
        error = _iso_error(kind, text)
        return [Problem(element, f"{attribute} '{text}' is not valid: {error}")] if error else []
    error = check_expression(text)
    return [Problem(element, f"{attribute} does not compile: {error}")] if error else []
