"""Parses BPMN with Camunda 7 extensions into SpiffWorkflow specs, capturing what Cascade executes.

CascadeParser is SpiffWorkflow's CamundaParser with the task and event parsers of engine.core.task_parsers
(assignment, properties, service topics, ISO-8601 timers as modellers write them, both multi-instance forms,
manual and untyped tasks). `load_definition` reads an uploaded file safely into specs; a problem names its
element and never shows a Python object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.specs.defaults import (
    BoundaryEvent,
    CallActivity,
    EndEvent,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    ManualTask,
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
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.camunda.specs.user_task import UserTask

from engine.core.decisions import DecisionTask, DecisionTaskConverter, DecisionTaskParser
from engine.core.errors import DefinitionError, Problem
from engine.core.task_parsers import (
    CascadeBoundaryEventParser,
    CascadeCallActivityParser,
    CascadeEndEventParser,
    CascadeIntermediateCatchEventParser,
    CascadeIntermediateThrowEventParser,
    CascadeManualTaskParser,
    CascadeReceiveTaskParser,
    CascadeScriptTaskParser,
    CascadeSendTaskParser,
    CascadeServiceTaskParser,
    CascadeStartEventParser,
    CascadeSubWorkflowParser,
    CascadeTaskParser,
    CascadeUserTaskParser,
    PassThroughTask,
    camunda_properties,
)
from engine.core.timer_literals import (
    ISO_CYCLE,
    ISO_DATE,
    ISO_DURATION,
    ISO_LITERAL,
    TIMER_KINDS,
    is_iso_literal,
    iso_literal_kind,
    quote_iso_timers,
    timer_expression,
)
from engine.core.xmlsafe import (
    DEFAULT_MAX_BYTES,
    loop_maximum_as_attribute,
    parse_xml,
    rewrite_foreign_camunda_namespace,
    to_bytes,
)

_REPR = re.compile(r"<Element \{[^}]*\}(\w+) at 0x[0-9a-fA-F]+>")
_QNAME = re.compile(r"'?\{http://camunda\.org/schema/1\.0/bpmn\}(\w+)'?")


class CascadeParser(CamundaParser):
    """CamundaParser plus the captures above; spec classes are SpiffWorkflow's own (CAMUNDA_CONFIG serializes them)."""

    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (CascadeUserTaskParser, UserTask),
        full_tag("serviceTask"): (CascadeServiceTaskParser, ServiceTask),
        full_tag("task"): (CascadeTaskParser, PassThroughTask),
        full_tag("manualTask"): (CascadeManualTaskParser, ManualTask),
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
        full_tag("businessRuleTask"): (DecisionTaskParser, DecisionTask),
    }


# --- serialization ----------------------------------------------------------------------------------------
SERIALIZER_CONFIG = {
    **CAMUNDA_CONFIG,
    PassThroughTask: BpmnTaskSpecConverter,
    DecisionTask: DecisionTaskConverter,
}


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
    external_calls: dict[str, str] = field(default_factory=dict)  # call activity id -> process of another file


def _message_names(event_definition: Any) -> list[str]:
    if isinstance(event_definition, MultipleEventDefinition):
        return [n for d in event_definition.event_definitions for n in _message_names(d)]
    if isinstance(event_definition, MessageEventDefinition) and event_definition.name:
        return [event_definition.name]
    return []


def _subprocess_specs(parser: CascadeParser, pid: str, external: dict[str, str] | None) -> dict[str, Any]:
    """Every sub-process/called process spec of this file reachable from `pid`; a call to a process of another
    file is added to `external` (element id -> process id: deploy checks that process is deployed), or is a
    Problem when `external` is None."""
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
                if external is None:
                    message = (
                        f"calls process '{task_spec.spec}', which is not in this file "
                        "(call activities must call a process of the same file)"
                    )
                    raise DefinitionError(message, [Problem(element, message)])
                external[element] = task_spec.spec
                continue
            found[task_spec.spec] = sub
            stack.append((sub, task_spec.spec))
    return found


def plain_text(text: str) -> str:
    """A parser message without Python objects: `<Element {…}sourceRef at 0x…>` → `bpmn:sourceRef`,
    `'{camunda-ns}decisionRef'` → `camunda:decisionRef`."""
    return _QNAME.sub(r"camunda:\1", _REPR.sub(r"bpmn:\1", text))


def _validation_problem(exc: ValidationException) -> Problem:
    text = plain_text(str(exc.args[0]) if exc.args else str(exc))
    return Problem(getattr(exc, "id", None) or None, text, name=getattr(exc, "name", None) or None)


def _parser_problem(exc: Exception) -> Problem:
    """An unexpected parser failure, said without a Python repr (a KeyError is a missing attribute)."""
    if isinstance(exc, KeyError) and exc.args:
        return Problem(None, f"the parser failed: the attribute {plain_text(repr(exc.args[0]))} is missing")
    return Problem(None, f"the parser failed: {plain_text(str(exc)) or type(exc).__name__}")


def load_definition(
    data: bytes | str, *, filename: str = "upload.bpmn", max_bytes: int = DEFAULT_MAX_BYTES, calls_out: bool = False
) -> Definition:
    """Parse an uploaded file safely and build every executable process's specs. With `calls_out`, a call
    activity may call a process of another file (listed in `external_calls`; engine.core.calls runs it).

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
        external: dict[str, str] | None = {} if calls_out else None
        for pid in process_ids:
            spec = parser.get_spec(pid)
            specs[pid] = (spec, _subprocess_specs(parser, pid, external))
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
        problem = _parser_problem(exc)
        raise DefinitionError(f"{filename}: {problem}", [problem]) from exc
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
        external_calls=external or {},
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


__all__ = [
    "ISO_CYCLE",
    "ISO_DATE",
    "ISO_DURATION",
    "ISO_LITERAL",
    "SERIALIZER_CONFIG",
    "TIMER_KINDS",
    "CascadeParser",
    "Definition",
    "camunda_properties",
    "install_engine_patches",
    "is_iso_literal",
    "iso_literal_kind",
    "load_definition",
    "make_registry",
    "plain_text",
    "quote_iso_timers",
    "timer_expression",
]
