"""BPMN constructs administrators draw, run by the engine with the state saved and rebuilt after every step:
untyped tasks pass through, manual tasks go to people, a task that names nobody goes to the leader (with a
warning at deploy), standard multi-instance over loopDataInputRef/inputDataItem collects its outputs."""

from __future__ import annotations

import pytest
from SpiffWorkflow.task import TaskState

from engine.core.ports import DefinitionRecord
from engine.core.runtime import LiveInstance, Runtime
from engine.core.validation import definition_warnings, validate_definition
from tests.engine.test_state import RowStore

ROLES = {"clerk", "leader", "specialist"}
HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">'
)


def multi_instance(sequential: bool) -> str:
    return (
        f'<bpmn:multiInstanceLoopCharacteristics isSequential="{str(sequential).lower()}">'
        "<bpmn:loopDataInputRef>truong</bpmn:loopDataInputRef>"
        "<bpmn:loopDataOutputRef>ket_qua</bpmn:loopDataOutputRef>"
        '<bpmn:inputDataItem id="ten_truong"/><bpmn:outputDataItem id="kq"/>'
        "</bpmn:multiInstanceLoopCharacteristics>"
    )


def coverage_xml(sequential: bool = False) -> bytes:
    elements = [
        '<bpmn:startEvent id="s"/>',
        '<bpmn:scriptTask id="init"><bpmn:script>truong = ["a", "b", "c"]</bpmn:script></bpmn:scriptTask>',
        '<bpmn:task id="mark" name="Đánh dấu"/>',
        '<bpmn:manualTask id="call" name="Gọi điện cho trường" camunda:candidateGroups="clerk" camunda:dueDate="P2D"/>',
        f'<bpmn:userTask id="check" name="Kiểm tra">{multi_instance(sequential)}</bpmn:userTask>',
        '<bpmn:endEvent id="e"/>',
    ]
    ids = ["s", "init", "mark", "call", "check", "e"]
    flows = "".join(
        f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>'
        for i, (a, b) in enumerate(zip(ids, ids[1:], strict=False))
    )
    process = f'<bpmn:process id="p" isExecutable="true">{"".join(elements)}{flows}</bpmn:process>'
    return f"{HEAD}{process}</bpmn:definitions>".encode()


class Walk:
    """A live instance saved to rows and rebuilt from them after every step, as a worker on another process would."""

    def __init__(self, xml: bytes):
        self.runtime = Runtime()
        self.definition = DefinitionRecord(1, "p", 1, "p", xml, [], {}, "test")
        self.rows = RowStore()
        self.live: LiveInstance = self.runtime.new(self.definition)
        self.result = self.step()

    def step(self):
        result = self.runtime.advance(self.live, lambda call: {})
        self.rows.apply(self.runtime.codec.changes(self.live.workflow, self.live.snapshot))
        self.live = self.runtime.load(self.definition, self.rows.stored())
        return result

    def ready(self) -> list:
        return self.result.ready

    def complete(self, guid: str, **data) -> None:
        task = self.live.task(guid)
        task.set_data(**data)
        task.run()
        self.result = self.step()


def test_untyped_and_manual_tasks_and_multi_instance_deploy_with_one_warning():
    xml = coverage_xml()
    assert validate_definition(xml, known_roles=ROLES) == []
    warnings = definition_warnings(xml)
    assert [(w.element_id, w.name) for w in warnings] == [("check", "Kiểm tra")]
    assert "'leader'" in warnings[0].message


@pytest.mark.parametrize("sequential", [False, True])
def test_the_walk_passes_the_untyped_task_gives_the_manual_one_to_people_and_collects_outputs(sequential):
    walk = Walk(coverage_xml(sequential))
    (call,) = walk.ready()
    assert (call.bpmn_id, call.groups, call.due_expression) == ("call", ["clerk"], "P2D")
    mark = [t for t in walk.live.workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id == "mark"]
    assert len(mark) == 1  # the untyped task ran by itself
    walk.complete(call.guid)
    seen = []
    while walk.ready():
        ready = walk.ready()
        assert len(ready) == (1 if sequential else 3 - len(seen))
        assert {t.groups[0] for t in ready} == {"leader"}  # nobody named: the organisation's leader
        task = ready[0]
        seen.append(task.data["ten_truong"])
        walk.complete(task.guid, kq=f"đã xong {task.data['ten_truong']}")
    assert walk.result.completed
    assert sorted(seen) == ["a", "b", "c"]
    assert walk.live.workflow.data["ket_qua"] == ["đã xong a", "đã xong b", "đã xong c"]


def test_multi_instance_needs_both_halves_of_the_standard_form():
    xml = coverage_xml().replace(b'<bpmn:inputDataItem id="ten_truong"/>', b"")
    found = validate_definition(xml, known_roles=ROLES)
    assert any(p.element_id == "check" and "loopDataInputRef and inputDataItem" in p.message for p in found), found
