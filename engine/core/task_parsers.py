"""The task and event parsers CascadeParser uses: what each BPMN element carries into its spec.

Candidate groups/users, assignee, due and follow-up dates and priority on user and manual tasks;
`camunda:properties` on tasks, events, sub-processes and call activities (direct children only);
`camunda:type`/`camunda:topic` on service tasks; ISO-8601 timer literals quoted; the loop limit written as a
child element; multi-instance in the standard BPMN form (`loopDataInputRef`/`inputDataItem`,
`loopDataOutputRef`/`outputDataItem`) as well as Camunda's `collection`/`elementVariable`; an untyped
`bpmn:task` that nobody does (it passes through).
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.event_parsers import ReceiveTaskParser, SendTaskParser
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.specs.defaults import NoneTask
from SpiffWorkflow.camunda.parser.event_parsers import (
    CamundaBoundaryEventParser,
    CamundaEndEventParser,
    CamundaEventDefinitionParser,
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

from engine.core.timer_literals import timer_expression
from engine.core.xmlsafe import BPMN_MODEL_NS, CAMUNDA_NS

CAMUNDA = f"{{{CAMUNDA_NS}}}"
NS = {"bpmn": BPMN_MODEL_NS, "camunda": CAMUNDA_NS}
USER_TASK_ATTRIBUTES = ("assignee", "candidateGroups", "candidateUsers", "dueDate", "followUpDate", "priority")
LIST_ATTRIBUTES = ("candidateGroups", "candidateUsers")


class PassThroughTask(NoneTask):
    """An untyped `bpmn:task`: it marks a step in the diagram and nobody has to do it, so the engine runs it."""

    def __init__(self, wf_spec: Any, bpmn_id: str, **kwargs: Any):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = False


def is_standard_multi_instance(loop_characteristics: etree._Element) -> bool:
    """True for the BPMN form of multi-instance (over a data input), as opposed to Camunda's collection."""
    return any(
        loop_characteristics.find(f"bpmn:{tag}", NS) is not None for tag in ("loopDataInputRef", "inputDataItem")
    )


def camunda_properties(node: etree._Element) -> dict[str, str]:
    """`camunda:properties` written directly on an element (not those of nested elements or form fields)."""
    out: dict[str, str] = {}
    for prop in node.findall("bpmn:extensionElements/camunda:properties/camunda:property", NS):
        name = prop.get("name")
        if name:
            out[name] = prop.get("value") or ""
    return out


class _LoopMaximumMixin:
    """Also read `<bpmn:loopMaximum>` written as a child element (SpiffWorkflow only reads the attribute), and
    multi-instance in the standard BPMN form, which the Camunda parser does not read."""

    def _add_multiinstance_task(self, loop_characteristics: etree._Element) -> None:
        if is_standard_multi_instance(loop_characteristics):
            TaskParser._add_multiinstance_task(self, loop_characteristics)  # type: ignore[arg-type]
        else:
            super()._add_multiinstance_task(loop_characteristics)  # type: ignore[misc]

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


class _AssignmentMixin:
    """The assignment attributes the Camunda panel writes on a user task (also read on a manual task)."""

    node: etree._Element

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


class CascadeUserTaskParser(_AssignmentMixin, _LoopMaximumMixin, UserTaskParser):
    """User task: Camunda form, properties, and the assignment attributes."""


class CascadeManualTaskParser(_AssignmentMixin, _LoopMaximumMixin, CamundaTaskParser):
    """Manual task: done by people like a user task (no form), assigned the same way."""


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
    """bpmn:task (a PassThroughTask)."""


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


class CascadeSendTaskParser(_PropertiesMixin, CamundaEventDefinitionParser, SendTaskParser):
    """Send task (`messageRef` on the task): throws its message with the payload `camunda:expression` on the task,
    as an intermediate message throw event does; the Camunda message definition is what Cascade routes."""


class CascadeReceiveTaskParser(_PropertiesMixin, CamundaEventDefinitionParser, ReceiveTaskParser):
    """Receive task: waits for its message like an intermediate catch event. Without the Camunda message
    definition it would never match the messages Cascade delivers (engine-notes §1.2: classes must match)."""
