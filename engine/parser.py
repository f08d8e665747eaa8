"""Parses BPMN with Camunda 7 extensions into SpiffWorkflow specs, capturing what Cascade executes:
candidate groups and users, assignee and due date on user tasks, `camunda:properties` on every task and
start event, and timers written as plain ISO-8601 (as modellers write them)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser, UserTaskParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.camunda.specs.user_task import UserTask

from engine.errors import DefinitionError, Problem
from engine.xmlsafe import BPMN_MODEL_NS, DEFAULT_MAX_BYTES, parse_xml, rewrite_foreign_camunda_namespace, to_bytes

CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"
NS = {"bpmn": BPMN_MODEL_NS, "camunda": CAMUNDA[1:-1]}
USER_TASK_ATTRIBUTES = ("assignee", "candidateGroups", "candidateUsers", "dueDate", "followUpDate", "priority")

_NUM = r"\d+(\.\d+)?"
_DURATION = rf"P(?!$)({_NUM}Y)?({_NUM}M)?({_NUM}W)?({_NUM}D)?(T(?=\d)({_NUM}H)?({_NUM}M)?({_NUM}S)?)?"
_DATETIME = r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?"
ISO_LITERAL = re.compile(rf"^({_DURATION}|{_DATETIME}|R\d*/(({_DATETIME})/)?{_DURATION}(/{_DATETIME})?)$")


def is_iso_literal(text: str) -> bool:
    return bool(ISO_LITERAL.match(text.strip()))


def _properties(parser) -> dict[str, str]:
    return {
        p.get("name"): p.get("value")
        for p in parser.xpath("./bpmn:extensionElements/camunda:properties/camunda:property")
        if p.get("name")
    }


class CascadeUserTaskParser(UserTaskParser):
    def parse_extensions(self, node=None):
        ext = super().parse_extensions(node)
        for name in USER_TASK_ATTRIBUTES:
            value = self.node.get(CAMUNDA + name)
            if value is not None:
                ext[name] = (
                    [v.strip() for v in value.split(",") if v.strip()] if name.startswith("candidate") else value
                )
        return ext


class CascadeServiceTaskParser(CamundaTaskParser):
    """Service tasks wait in STARTED for the application, which runs the service named in their properties."""

    def parse_extensions(self, node=None):
        ext = dict(_properties(self))
        for name in ("type", "topic"):
            value = self.node.get(CAMUNDA + name)
            if value is not None:
                ext[name] = value
        return ext


class CascadeParser(CamundaParser):
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (CascadeUserTaskParser, UserTask),
        full_tag("serviceTask"): (CascadeServiceTaskParser, ServiceTask),
    }


def quote_iso_timers(root: etree._Element) -> None:
    """`PT72H` → `"PT72H"`: SpiffWorkflow evaluates timer text as Python (engine-notes §0.2)."""
    for tag in ("timeDate", "timeDuration", "timeCycle"):
        for node in root.iter(f"{{{BPMN_MODEL_NS}}}{tag}"):
            text = (node.text or "").strip()
            if text and is_iso_literal(text):
                node.text = f'"{text}"'


@dataclass
class Definition:
    xml: bytes
    process_ids: list[str]
    specs: dict[str, tuple[Any, dict]]
    names: dict[str, str] = field(default_factory=dict)
    start_messages: dict[str, list[str]] = field(default_factory=dict)
    start_properties: dict[str, dict] = field(default_factory=dict)
    root: Any = None


def load_definition(
    data: bytes | str, *, filename: str = "upload.bpmn", max_bytes: int = DEFAULT_MAX_BYTES
) -> Definition:
    """Parse safely (xmlsafe) and build every executable process's specs; DefinitionError names the element."""
    root = parse_xml(data, max_bytes=max_bytes)
    rewrite_foreign_camunda_namespace(root)
    canonical = to_bytes(root)
    executable = etree.fromstring(canonical, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    quote_iso_timers(executable)
    parser = CascadeParser()
    try:
        parser.add_bpmn_xml(executable, filename)
        process_ids = parser.get_process_ids()
        if not process_ids:
            raise DefinitionError("no executable process in the file", [Problem(None, "no executable process")])
        specs, names, starts, props = {}, {}, {}, {}
        for pid in process_ids:
            spec = parser.get_spec(pid)
            subs = {k: v for k, v in parser.get_subprocess_specs(pid).items() if v is not None}
            specs[pid] = (spec, subs)
            process = executable.find(f".//{{{BPMN_MODEL_NS}}}process[@id='{pid}']")
            names[pid] = (process.get("name") if process is not None else None) or pid
            starts[pid] = [
                s.event_definition.name for s in spec.bpmn_start_events if getattr(s.event_definition, "name", None)
            ]
            merged: dict[str, str] = {}
            if process is not None:
                for start in process.findall(f"{{{BPMN_MODEL_NS}}}startEvent"):
                    for prop in start.findall("bpmn:extensionElements/camunda:properties/camunda:property", NS):
                        merged[prop.get("name")] = prop.get("value")
            props[pid] = merged
    except ValidationException as exc:
        element = getattr(exc, "id", None) or getattr(exc, "name", None)
        raise DefinitionError(f"{filename}: {exc}", [Problem(element, str(exc).split("\n")[0])]) from exc
    except DefinitionError:
        raise
    except Exception as exc:  # the parser raises many kinds; each means "this file cannot run"
        raise DefinitionError(f"{filename}: {exc}", [Problem(None, f"{type(exc).__name__}: {exc}")]) from exc
    return Definition(
        xml=canonical,
        process_ids=process_ids,
        specs=specs,
        names=names,
        start_messages=starts,
        start_properties=props,
        root=root,
    )


def make_registry():
    return BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG)


_PATCHED = False


def install_engine_patches() -> None:
    """Lift the TaskIterator depth limit that silently stalls deep task trees (engine-notes §0.1)."""
    global _PATCHED
    if _PATCHED:
        return
    from SpiffWorkflow.bpmn.util.subworkflow import BpmnBaseWorkflow
    from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator

    def get_tasks_iterator(self, first_task=None, **kwargs):
        kwargs.setdefault("max_depth", 10**9)
        return BpmnTaskIterator(first_task or self.task_tree, **kwargs)

    BpmnBaseWorkflow.get_tasks_iterator = get_tasks_iterator
    _PATCHED = True
