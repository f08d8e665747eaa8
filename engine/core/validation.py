"""Deploy-time checks of a BPMN definition; each problem names the BPMN element it concerns.

Two passes: one over the XML (constructs the engine cannot run, expressions, timers, message throws),
one over the parsed specs (assignment of user tasks, forms, scripts).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from lxml import etree

from engine.core.decisions import decision_ref_problems
from engine.core.errors import DefinitionError, Problem
from engine.core.parser import TIMER_KINDS, Definition, iso_literal_kind, load_definition
from engine.core.scripting import check_expression
from engine.core.spec_checks import iso_error, spec_problems, spec_warnings
from engine.core.task_parsers import is_standard_multi_instance
from engine.core.timer_starts import timer_start_problems
from engine.core.xmlsafe import BPMN_MODEL_NS, CAMUNDA_NS, parse_xml, rewrite_foreign_camunda_namespace

B = f"{{{BPMN_MODEL_NS}}}"
C = f"{{{CAMUNDA_NS}}}"

UNSUPPORTED = {
    "adHocSubProcess": "ad-hoc sub-processes do not run in SpiffWorkflow 3.2 (engine-notes §1.2)",
    "complexGateway": "complex gateways are not supported",
}


def checked_definition(
    xml: bytes | str,
    *,
    known_roles: set[str],
    known_messages: set[str] | None = None,
    filename: str = "upload.bpmn",
    deployed: Callable[[str], bool] | None = None,
    decided: Callable[[str], bool] | None = None,
) -> tuple[Definition, list[Problem]]:
    """The parsed file and its warnings, or DefinitionError naming every problem `validate_definition`
    finds (deploy and validate say the same)."""
    kw = {"known_roles": known_roles, "known_messages": known_messages, "deployed": deployed, "decided": decided}
    try:
        definition = load_definition(xml, filename=filename, calls_out=True)
    except DefinitionError as exc:
        problems = validate_definition(xml, **kw)
        raise DefinitionError(str(exc), problems or exc.problems) from exc
    problems = validate_definition(definition, **kw)
    if problems:
        raise DefinitionError(f"{definition.filename}: {len(problems)} problem(s)", problems)
    return definition, named(definition.root, spec_warnings(definition))


def definition_warnings(xml: bytes | str) -> list[Problem]:
    """What deploys but may not do what the author meant (e.g. a task nobody is named for); [] when the
    file does not load (its problems say why)."""
    try:
        definition = load_definition(xml, calls_out=True)
    except DefinitionError:
        return []
    return named(definition.root, spec_warnings(definition))


def named(root: etree._Element | None, problems: list[Problem]) -> list[Problem]:
    """The problems with the name of each element they concern, read from the diagram."""
    if root is None:
        return problems
    names = {node.get("id"): node.get("name") for node in root.iter() if isinstance(node.tag, str) and node.get("id")}
    for problem in problems:
        if problem.name is None and problem.element_id:
            problem.name = (names.get(problem.element_id) or "").strip() or None
    return problems


def validate_definition(
    definition: Any,
    *,
    known_roles: set[str],
    known_messages: set[str] | None = None,
    deployed: Callable[[str], bool] | None = None,
    decided: Callable[[str], bool] | None = None,
) -> list[Problem]:
    """Every problem that would stop this definition from running as intended; [] when it can be deployed.

    `definition` is a parser.Definition or the file's bytes/str (a file that fails to load gives its
    load problems, after any unsupported constructs found in its XML). With `known_messages` (the message
    names other deployed processes catch), every message thrown must have a catcher here or there.
    `deployed(process_id)` says whether a process that a call activity names in another file is deployed;
    without it, every call to another file is refused (nothing to check it against). `decided(decision_id)`
    says whether the decision a business rule task evaluates is deployed (without it, only that it names one).
    """
    problems: list[Problem] = []
    if isinstance(definition, (bytes, bytearray, str)):
        try:
            root = rewrite_foreign_camunda_namespace(
                parse_xml(bytes(definition) if isinstance(definition, bytearray) else definition)
            )
        except DefinitionError as exc:
            return exc.problems or [Problem(None, str(exc))]
        problems += _xml_problems(root) + decision_ref_problems(root, decided)
        if known_messages is not None:
            problems += _catcher_problems(root, known_messages)
        try:
            definition = load_definition(definition, calls_out=True)
        except DefinitionError as exc:
            named_already = {p.element_id for p in problems if p.element_id}
            loader = [p for p in exc.problems or [Problem(None, str(exc))] if p.element_id not in named_already]
            return named(root, _unique(problems + loader))
    else:
        problems += _xml_problems(definition.root) + decision_ref_problems(definition.root, decided)
        if known_messages is not None:
            problems += _catcher_problems(definition.root, known_messages)
    problems += spec_problems(definition, known_roles)
    for element, called in definition.external_calls.items():
        if deployed is None or not deployed(called):
            problems.append(Problem(element, f"calls process '{called}', which is not in this file nor deployed"))
    return named(definition.root, _unique(problems))


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
    out += timer_start_problems(root)
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


THROWS = (B + "intermediateThrowEvent", B + "endEvent", B + "sendTask")
CATCHES = (B + "startEvent", B + "intermediateCatchEvent", B + "boundaryEvent", B + "receiveTask")


def _message_definition(node: etree._Element) -> etree._Element | None:
    """Where the message is named: an event's messageEventDefinition, or a send/receive task itself."""
    if node.tag in (B + "sendTask", B + "receiveTask"):
        return node
    return node.find(B + "messageEventDefinition")


def _event_message(event: etree._Element, names: dict[str, str]) -> str | None:
    definition = _message_definition(event)
    if definition is None:
        return None
    ref = definition.get("messageRef")
    return names.get(ref, ref) if ref else None


def thrown_messages(root: etree._Element) -> dict[str, str]:
    """Message name → id of an element that throws it (intermediate throw or end event, send task)."""
    names = _message_names(root)
    out: dict[str, str] = {}
    for event in root.iter(*THROWS):
        name = _event_message(event, names)
        if name:
            out.setdefault(name, event.get("id"))
    return out


def caught_messages(root: etree._Element) -> set[str]:
    """Names of the messages this file waits for (start, intermediate catch and boundary events, receive tasks)."""
    names = _message_names(root)
    out = set()
    for event in root.iter(*CATCHES):
        name = _event_message(event, names)
        if name:
            out.add(name)
    return out


def _catcher_problems(root: etree._Element, known_messages: set[str]) -> list[Problem]:
    caught = caught_messages(root) | set(known_messages)
    out = []
    names = _message_names(root)
    for event in root.iter(*THROWS):
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
            error = iso_error(kind, text)
            if error:
                out.append(Problem(element, f"timer {tag} '{text}' is not valid: {error}"))
    return out


def _message_throw_problems(root: etree._Element) -> list[Problem]:
    out = []
    for event in root.iter(*THROWS):
        definition = _message_definition(event)
        if definition is None:
            continue
        if event.tag == B + "sendTask" and not event.get("messageRef"):
            out.append(Problem(event.get("id"), "send task names no message (messageRef)"))
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
    for task in root.iter(B + "receiveTask"):
        if not task.get("messageRef"):  # bpmn-js writes the message as the task's messageRef
            out.append(Problem(task.get("id"), "receive task names no message (messageRef)"))
    return out


def _loop_problems(root: etree._Element) -> list[Problem]:
    out = []
    for loop in root.iter(B + "multiInstanceLoopCharacteristics"):
        element = _owner_id(loop.getparent()) if loop.getparent() is not None else None
        if is_standard_multi_instance(loop):
            if loop.find(B + "loopDataInputRef") is None or loop.find(B + "inputDataItem") is None:
                out.append(
                    Problem(element, "multi-instance over a collection needs both loopDataInputRef and inputDataItem")
                )
            if (loop.find(B + "loopDataOutputRef") is None) != (loop.find(B + "outputDataItem") is None):
                out.append(Problem(element, "multi-instance outputs need both loopDataOutputRef and outputDataItem"))
            continue
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
