"""Parses BPMN with Camunda 7 extensions into SpiffWorkflow specs, capturing what Cascade executes.

On top of SpiffWorkflow's CamundaParser this reads candidate groups/users, assignee, due and follow-up
dates and priority on user tasks; `camunda:properties` on tasks, events, sub-processes and call
activities (direct children only); `camunda:type`/`camunda:topic` on service tasks (which wait in
STARTED for the application); and timers written as plain ISO-8601, as modellers write them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.event_parsers import ReceiveTaskParser, SendTaskParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.defaults import (
    BoundaryEvent,
    CallActivity,
    EndEvent,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    ManualTask,
    NoneTask,
    ReceiveTask,
    ScriptTask,
    SendTask,
    ServiceTask,
    StartEvent,
    TransactionSubprocess,
)
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask as SubWorkflowTaskMixin
from SpiffWorkflow.bpmn.util.subworkflow import BpmnBaseWorkflow
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import (
    CamundaBoundaryEventParser,
    CamundaEndEventParser,
    CamundaIntermediateCatchEventParser,
    CamundaIntermediateThrowEventParser,
    CamundaStartEventParser,
)
from SpiffWorkflow.camunda.parser.task_spec import (
    CallActivityParser,
    CamundaTaskParser,
    ScriptTaskParser,
    SubWorkflowParser,
    UserTaskParser,
)
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.camunda.specs.user_task import UserTask

from engine.core.errors import DefinitionError, Problem
from engine.core.xmlsafe import (
    BPMN_MODEL_NS,
    CAMUNDA_NS,
    DEFAULT_MAX_BYTES,
    loop_maximum_as_attribute,
    parse_xml,
    rewrite_foreign_camunda_namespace,
    to_bytes,
)

CAMUNDA = f"{{{CAMUNDA_NS}}}"
NS = {"bpmn": BPMN_MODEL_NS, "camunda": CAMUNDA_NS}
USER_TASK_ATTRIBUTES = ("assignee", "candidateGroups", "candidateUsers", "dueDate", "followUpDate", "priority")
LIST_ATTRIBUTES = ("candidateGroups", "candidateUsers")

# --- ISO-8601 literals as written in the modeller ---------------------------------------------------------
_N = r"\d+(?:[.,]\d+)?"
_DURATION = rf"P(?=\d|T\d)(?:{_N}Y)?(?:{_N}M)?(?:{_N}W)?(?:{_N}D)?(?:T(?=\d)(?:{_N}H)?(?:{_N}M)?(?:{_N}S)?)?"
_TIME = r"\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?"
_DATE = rf"(?:\d{{4}}-\d{{2}}-\d{{2}}|\d{{4}}-?W\d{{2}}-?\d)(?:[T ]{_TIME})?"
_CYCLE = rf"R\d*/(?:{_DATE}/{_DURATION}|{_DURATION}(?:/{_DATE})?)"

ISO_DURATION = re.compile(rf"^{_DURATION}$")
ISO_DATE = re.compile(rf"^{_DATE}$")
ISO_CYCLE = re.compile(rf"^{_CYCLE}$")
ISO_LITERAL = re.compile(rf"^(?:{_DURATION}|{_DATE}|{_CYCLE})$")

TIMER_KINDS = {"timeDuration": "duration", "timeDate": "date", "timeCycle": "cycle"}


def iso_literal_kind(text: str | None) -> str | None:
    """'duration', 'date' or 'cycle' when `text` is a bare ISO-8601 literal, else None."""
    value = (text or "").strip()
    for kind, pattern in (("duration", ISO_DURATION), ("date", ISO_DATE), ("cycle", ISO_CYCLE)):
        if pattern.match(value):
            return kind
    return None


def is_iso_literal(text: str | None) -> bool:
    """True when `text` is a bare ISO-8601 duration, date(-time) or repeating interval."""
    return iso_literal_kind(text) is not None


def timer_expression(text: str | None) -> str | None:
    """The Python expression SpiffWorkflow should evaluate: ISO literals quoted, anything else unchanged."""
    if text is not None and is_iso_literal(text):
        return json.dumps(text.strip())
    return text


def quote_iso_timers(root: etree._Element) -> None:
    """Quote ISO-8601 timer literals in an lxml tree in place (CascadeParser already does it while parsing)."""
    for tag in TIMER_KINDS:
        for node in root.iter(f"{{{BPMN_MODEL_NS}}}{tag}"):
            if node.text is not None and is_iso_literal(node.text):
                node.text = timer_expression(node.text)


# --- task and event parsers -------------------------------------------------------------------------------
def camunda_properties(node: etree._Element) -> dict[str, str]:
    """`camunda:properties` written directly on an element (not those of nested elements or form fields)."""
    out: dict[str, str] = {}
    for prop in node.findall("bpmn:extensionElements/camunda:properties/camunda:property", NS):
        name = prop.get("name")
        if name:
            out[name] = prop.get("value") or ""
    return out


class _LoopMaximumMixin:
    """Also read `<bpmn:loopMaximum>` written as a child element (SpiffWorkflow only reads the attribute)."""

    def _add_loop_task(self, loop_characteristics: etree._Element) -> None:
        if loop_characteristics.get("loopMaximum") is None:
            child = loop_characteristics.find("bpmn:loopMaximum", NS)
            if child is not None and (child.text or "").strip():
                # A detached copy carries the value, so the document itself stays as uploaded.
                loop_characteristics = etree.Element(loop_characteristics.tag, dict(loop_characteristics.attrib))
                loop_characteristics.set("loopMaximum", child.text.strip())
        super()._add_loop_task(loop_characteristics)  # type: ignore[misc]


class _PropertiesMixin(_LoopMaximumMixin):
    """parse_extensions() = the element's own camunda properties."""

    node: etree._Element

    def parse_extensions(self, node: etree._Element | None = None) -> dict[str, Any]:
        return camunda_properties(self.node if node is None else node)


class CascadeUserTaskParser(_LoopMaximumMixin, UserTaskParser):
    """User task: Camunda form, properties, and the assignment attributes the Camunda panel writes."""

    def parse_extensions(self, node: etree._Element | None = None) -> dict[str, Any]:
        ext: dict[str, Any] = camunda_properties(self.node if node is None else node)
        for name in USER_TASK_ATTRIBUTES:
            value = self.node.get(CAMUNDA + name)
            if value is None:
                continue
            if name in LIST_ATTRIBUTES:
                ext[name] = [v.strip() for v in value.split(",") if v.strip()]
            else:
                ext[name] = value.strip()
        return ext


class CascadeServiceTaskParser(_LoopMaximumMixin, CamundaTaskParser):
    """Service task: properties plus `camunda:type`/`camunda:topic`; the app runs and completes it."""

    def parse_extensions(self, node: etree._Element | None = None) -> dict[str, Any]:
        ext: dict[str, Any] = camunda_properties(self.node if node is None else node)
        for name in ("type", "topic"):
            value = self.node.get(CAMUNDA + name)
            if value is not None:
                ext[name] = value.strip()
        return ext


class CascadeTaskParser(_PropertiesMixin, CamundaTaskParser):
    """bpmn:task and manualTask."""


class CascadeScriptTaskParser(_PropertiesMixin, ScriptTaskParser):
    """Script task with its properties."""


class CascadeSubWorkflowParser(_PropertiesMixin, SubWorkflowParser):
    """Embedded sub-process / transaction (properties of inner elements no longer leak onto it)."""


class CascadeCallActivityParser(_PropertiesMixin, CallActivityParser):
    """Call activity with its own properties."""


class _EventMixin(_PropertiesMixin):
    """Events: properties, and ISO-8601 timer literals turned into Python strings."""

    def parse_timer_event(self, event: etree._Element) -> Any:
        definition = super().parse_timer_event(event)  # type: ignore[misc]
        definition.expression = timer_expression(definition.expression)
        return definition


class CascadeStartEventParser(_EventMixin, CamundaStartEventParser):
    pass


class CascadeEndEventParser(_EventMixin, CamundaEndEventParser):
    pass


class CascadeIntermediateCatchEventParser(_EventMixin, CamundaIntermediateCatchEventParser):
    pass


class CascadeIntermediateThrowEventParser(_EventMixin, CamundaIntermediateThrowEventParser):
    pass


class CascadeBoundaryEventParser(_EventMixin, CamundaBoundaryEventParser):
    pass


class CascadeSendTaskParser(_PropertiesMixin, SendTaskParser):
    pass


class CascadeReceiveTaskParser(_PropertiesMixin, ReceiveTaskParser):
    pass


class CascadeParser(CamundaParser):
    """CamundaParser plus the captures above; spec classes are SpiffWorkflow's own (CAMUNDA_CONFIG serializes them)."""

    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (CascadeUserTaskParser, UserTask),
        full_tag("serviceTask"): (CascadeServiceTaskParser, ServiceTask),
        full_tag("task"): (CascadeTaskParser, NoneTask),
        full_tag("manualTask"): (CascadeTaskParser, ManualTask),
        full_tag("scriptTask"): (CascadeScriptTaskParser, ScriptTask),
        full_tag("subProcess"): (CascadeSubWorkflowParser, CallActivity),
        full_tag("transaction"): (CascadeSubWorkflowParser, TransactionSubprocess),
        full_tag("callActivity"): (CascadeCallActivityParser, CallActivity),
        full_tag("startEvent"): (CascadeStartEventParser, StartEvent),
        full_tag("endEvent"): (CascadeEndEventParser, EndEvent),
        full_tag("intermediateCatchEvent"): (CascadeIntermediateCatchEventParser, IntermediateCatchEvent),
        full_tag("intermediateThrowEvent"): (CascadeIntermediateThrowEventParser, IntermediateThrowEvent),
        full_tag("boundaryEvent"): (CascadeBoundaryEventParser, BoundaryEvent),
        full_tag("sendTask"): (CascadeSendTaskParser, SendTask),
        full_tag("receiveTask"): (CascadeReceiveTaskParser, ReceiveTask),
    }


# --- serialization ----------------------------------------------------------------------------------------
SERIALIZER_CONFIG = dict(CAMUNDA_CONFIG)


def make_registry() -> Any:
    """Serializer registry for CascadeParser specs; also stores `date` values scripts leave in task data."""
    registry = BpmnWorkflowSerializer.configure(SERIALIZER_CONFIG)
    registry.register(
        date, lambda v: {"value": v.isoformat()}, lambda d: date.fromisoformat(d["value"]), typename="date"
    )
    return registry


# --- loading a file ---------------------------------------------------------------------------------------
@dataclass
class Definition:
    """A parsed BPMN file: canonical XML and, per executable process, its specs and start metadata."""

    xml: bytes
    process_ids: list[str]
    specs: dict[str, tuple[Any, dict[str, Any]]]
    names: dict[str, str] = field(default_factory=dict)
    start_messages: dict[str, list[str]] = field(default_factory=dict)
    start_properties: dict[str, dict[str, str]] = field(default_factory=dict)
    process_properties: dict[str, dict[str, str]] = field(default_factory=dict)
    filename: str = "upload.bpmn"
    root: Any = None  # the lxml root element the specs were parsed from


def _message_names(event_definition: Any) -> list[str]:
    if isinstance(event_definition, MultipleEventDefinition):
        return [n for d in event_definition.event_definitions for n in _message_names(d)]
    if isinstance(event_definition, MessageEventDefinition) and event_definition.name:
        return [event_definition.name]
    return []


def _subprocess_specs(parser: CascadeParser, pid: str) -> dict[str, Any]:
    """Every sub-process/called process spec reachable from `pid`; a missing called process is a Problem."""
    found: dict[str, Any] = {}
    stack = [(parser.get_spec(pid), pid)]
    while stack:
        spec, _ = stack.pop()
        for task_spec in spec.task_specs.values():
            if not isinstance(task_spec, SubWorkflowTaskMixin) or task_spec.spec in found:
                continue
            sub = parser.get_spec(task_spec.spec, required=False)
            if sub is None:
                element = getattr(task_spec, "bpmn_id", None) or task_spec.name
                message = (
                    f"calls process '{task_spec.spec}', which is not in this file "
                    "(call activities must call a process of the same file)"
                )
                raise DefinitionError(message, [Problem(element, message)])
            found[task_spec.spec] = sub
            stack.append((sub, task_spec.spec))
    return found


def _validation_problem(exc: ValidationException) -> Problem:
    text = str(exc.args[0]) if exc.args else str(exc)
    element = getattr(exc, "id", None) or None
    return Problem(element, text)


def load_definition(
    data: bytes | str, *, filename: str = "upload.bpmn", max_bytes: int = DEFAULT_MAX_BYTES
) -> Definition:
    """Parse an uploaded file safely and build every executable process's specs.

    Raises DefinitionError (with Problems naming the element when known) when the file is unsafe,
    malformed, or cannot be parsed into runnable specs.
    """
    root = loop_maximum_as_attribute(rewrite_foreign_camunda_namespace(parse_xml(data, max_bytes=max_bytes)))
    canonical = to_bytes(root)
    parser = CascadeParser()
    try:
        parser.add_bpmn_xml(root, filename)
        process_ids = list(parser.get_process_ids())  # before parsing: sub-processes add parsers of their own
        if not process_ids:
            message = 'The file has no executable process (set isExecutable="true" on the process).'
            raise DefinitionError(message, [Problem(None, message)])
        specs: dict[str, tuple[Any, dict[str, Any]]] = {}
        names: dict[str, str] = {}
        starts: dict[str, list[str]] = {}
        start_props: dict[str, dict[str, str]] = {}
        process_props: dict[str, dict[str, str]] = {}
        for pid in process_ids:
            spec = parser.get_spec(pid)
            specs[pid] = (spec, _subprocess_specs(parser, pid))
            process = parser.get_process_parser(pid).node
            names[pid] = process.get("name") or pid
            starts[pid] = [n for s in spec.bpmn_start_events for n in _message_names(s.event_definition)]
            merged: dict[str, str] = {}
            for start in spec.bpmn_start_events:
                merged.update(getattr(start, "extensions", None) or {})
            start_props[pid] = merged
            process_props[pid] = camunda_properties(process)
    except DefinitionError as exc:
        raise DefinitionError(f"{filename}: {exc}", exc.problems) from exc
    except ValidationException as exc:
        problem = _validation_problem(exc)
        raise DefinitionError(f"{filename}: {problem}", [problem]) from exc
    except Exception as exc:  # noqa: BLE001 - SpiffWorkflow's parser raises many kinds; each means "cannot run"
        message = f"the parser failed: {type(exc).__name__}: {exc}"
        raise DefinitionError(f"{filename}: {message}", [Problem(None, message)]) from exc
    return Definition(
        xml=canonical,
        process_ids=process_ids,
        specs=specs,
        names=names,
        start_messages=starts,
        start_properties=start_props,
        process_properties=process_props,
        filename=filename,
        root=root,
    )


# --- engine patches ---------------------------------------------------------------------------------------
def install_engine_patches() -> None:
    """Default TaskIterator max_depth to 10**9 so deep task trees don't silently stall (engine-notes §0.1).

    Idempotent; covers subprocesses and deserialized workflows (all BpmnBaseWorkflow subclasses).
    """
    if getattr(BpmnBaseWorkflow.get_tasks_iterator, "_cascade_patch", False):
        return

    def get_tasks_iterator(self: Any, first_task: Any = None, **kwargs: Any) -> BpmnTaskIterator:
        kwargs.setdefault("max_depth", 10**9)
        return BpmnTaskIterator(first_task or self.task_tree, **kwargs)

    get_tasks_iterator._cascade_patch = True  # type: ignore[attr-defined]
    BpmnBaseWorkflow.get_tasks_iterator = get_tasks_iterator
