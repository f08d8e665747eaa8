"""Send and receive tasks: a send task throws its message with the payload its `camunda:expression` gives, like an
intermediate throw event; a receive task waits for its message like an intermediate catch event and leaves the
payload in the variable named after the message. The state is saved to rows and rebuilt after every step."""

from __future__ import annotations

from engine.core.ports import DefinitionRecord
from engine.core.problem_text import problem_text
from engine.core.runtime import Runtime
from engine.core.validation import validate_definition
from tests.engine.test_bpmn_coverage import HEAD, Walk
from tests.engine.test_state import RowStore

ROLES = {"leader", "principal", "specialist"}


def _flows(ids: list[str]) -> str:
    return "".join(
        f'<bpmn:sequenceFlow id="f_{a}" sourceRef="{a}" targetRef="{b}"/>' for a, b in zip(ids, ids[1:], strict=False)
    )


def asking_xml(send_attrs: str | None = None, receive_attrs: str = 'messageRef="Msg_reply"') -> bytes:
    """The office asks a school to confirm something and waits for the answer."""
    send = (
        send_attrs
        if send_attrs is not None
        else (
            'messageRef="Msg_ask" camunda:expression="'
            '{&quot;to_org_id&quot;: truong_id, &quot;noi_dung&quot;: noi_dung}"'
        )
    )
    elements = [
        '<bpmn:startEvent id="s"><bpmn:extensionElements><camunda:properties>'
        '<camunda:property name="orgKinds" value="office"/></camunda:properties></bpmn:extensionElements>'
        "</bpmn:startEvent>",
        '<bpmn:userTask id="soan" name="Soạn yêu cầu xác nhận" camunda:candidateGroups="leader">'
        "<bpmn:extensionElements><camunda:formData>"
        '<camunda:formField id="noi_dung" label="Nội dung | Content" type="string">'
        '<camunda:validation><camunda:constraint name="required"/></camunda:validation></camunda:formField>'
        '<camunda:formField id="truong_id" label="Mã trường | School id" type="long">'
        '<camunda:validation><camunda:constraint name="required"/></camunda:validation></camunda:formField>'
        "</camunda:formData></bpmn:extensionElements></bpmn:userTask>",
        f'<bpmn:sendTask id="gui" name="Gửi yêu cầu" {send}/>',
        f'<bpmn:receiveTask id="cho" name="Chờ trường trả lời" {receive_attrs}/>',
        '<bpmn:userTask id="xem" name="Xem trả lời của trường" camunda:candidateGroups="leader"/>',
        '<bpmn:endEvent id="e"/>',
    ]
    ids = ["s", "soan", "gui", "cho", "xem", "e"]
    process = (
        '<bpmn:process id="yeu_cau_xac_nhan" name="Yêu cầu xác nhận | Ask for a confirmation" isExecutable="true">'
        f"{''.join(elements)}{_flows(ids)}</bpmn:process>"
    )
    messages = (
        '<bpmn:message id="Msg_ask" name="yeu_cau_xac_nhan"/><bpmn:message id="Msg_reply" name="tra_loi_xac_nhan"/>'
    )
    return f"{HEAD}{messages}{process}</bpmn:definitions>".encode()


def answering_xml() -> bytes:
    """A school receives the request (message start), its principal answers, a send task replies to the asker."""
    elements = [
        '<bpmn:startEvent id="s"><bpmn:extensionElements><camunda:properties>'
        '<camunda:property name="orgKinds" value="school"/><camunda:property name="manualStart" value="false"/>'
        '</camunda:properties></bpmn:extensionElements><bpmn:messageEventDefinition messageRef="Msg_ask"/>'
        "</bpmn:startEvent>",
        '<bpmn:userTask id="tra_loi" name="Trả lời yêu cầu xác nhận" camunda:candidateGroups="principal">'
        "<bpmn:extensionElements><camunda:formData>"
        '<camunda:formField id="y_kien" label="Ý kiến | Answer" type="string">'
        '<camunda:validation><camunda:constraint name="required"/></camunda:validation></camunda:formField>'
        "</camunda:formData></bpmn:extensionElements></bpmn:userTask>",
        '<bpmn:sendTask id="gui_lai" name="Gửi trả lời" messageRef="Msg_reply" camunda:expression="'
        "{&quot;to_instance&quot;: yeu_cau_xac_nhan[&quot;from_instance&quot;], &quot;y_kien&quot;: y_kien}"
        '"/>',
        '<bpmn:endEvent id="e"/>',
    ]
    ids = ["s", "tra_loi", "gui_lai", "e"]
    process = (
        '<bpmn:process id="tra_loi_xac_nhan" name="Trả lời xác nhận | Answer a confirmation" isExecutable="true">'
        f"{''.join(elements)}{_flows(ids)}</bpmn:process>"
    )
    messages = (
        '<bpmn:message id="Msg_ask" name="yeu_cau_xac_nhan"/><bpmn:message id="Msg_reply" name="tra_loi_xac_nhan"/>'
    )
    return f"{HEAD}{messages}{process}</bpmn:definitions>".encode()


class AskingWalk(Walk):
    def __init__(self):  # noqa: D107 - Walk's, for the process yeu_cau_xac_nhan
        self.runtime = Runtime()
        self.definition = DefinitionRecord(1, "yeu_cau_xac_nhan", 1, "y", asking_xml(), [], {}, "test")
        self.rows = RowStore()
        self.live = self.runtime.new(self.definition)
        self.result = self.step()


def test_both_files_deploy_clean_and_each_message_has_its_catcher():
    assert validate_definition(asking_xml(), known_roles=ROLES, known_messages={"yeu_cau_xac_nhan"}) == []
    assert validate_definition(answering_xml(), known_roles=ROLES, known_messages={"tra_loi_xac_nhan"}) == []
    # the asker's receive task catches the reply, so the answering file may throw it
    lonely = validate_definition(answering_xml(), known_roles=ROLES, known_messages=set())
    assert [(p.element_id, p.message) for p in lonely] == [
        ("gui_lai", "message 'tra_loi_xac_nhan' is thrown but no deployed process (nor this file) catches it")
    ]


def test_a_send_task_throws_its_payload_and_a_receive_task_waits_for_its_message():
    walk = AskingWalk()
    (soan,) = walk.ready()
    walk.complete(soan.guid, noi_dung="Xác nhận số học sinh", truong_id=42)
    assert walk.result.messages == [("yeu_cau_xac_nhan", {"to_org_id": 42, "noi_dung": "Xác nhận số học sinh"})]
    assert walk.ready() == []  # the receive task waits
    walk.runtime.send(walk.live, "tra_loi_xac_nhan", {"y_kien": "Đã xác nhận: 512 học sinh", "from_instance": 9})
    walk.result = walk.step()
    (xem,) = walk.ready()
    assert xem.bpmn_id == "xem"
    assert xem.data["tra_loi_xac_nhan"] == {"y_kien": "Đã xác nhận: 512 học sinh", "from_instance": 9}
    walk.complete(xem.guid)
    assert walk.result.completed


def test_a_message_the_receive_task_does_not_wait_for_is_refused():
    walk = AskingWalk()
    try:
        walk.runtime.send(walk.live, "tra_loi_xac_nhan", {"y_kien": "quá sớm"})
    except Exception as exc:  # noqa: BLE001 - SpiffWorkflow's WorkflowException: nothing waits for it yet
        assert "tra_loi_xac_nhan" in str(exc) or type(exc).__name__ == "WorkflowException"
    else:
        raise AssertionError("a message nobody waits for was accepted")


def test_send_and_receive_tasks_without_a_message_or_payload_are_refused_naming_them():
    cases = {
        'messageRef="Msg_ask"': (
            "gui",
            "message throw has no camunda:expression (its payload); the engine cannot send it",
        ),
        "": ("gui", "send task names no message (messageRef)"),
    }
    for send, (element, message) in cases.items():
        found = validate_definition(asking_xml(send_attrs=send), known_roles=ROLES)
        assert any(p.element_id == element and p.message == message for p in found), found
        assert all(not problem_text(p).startswith("Vấn đề") for p in found)
    found = validate_definition(asking_xml(receive_attrs=""), known_roles=ROLES)
    (problem,) = [p for p in found if p.element_id == "cho"]
    assert problem.message == "receive task names no message (messageRef)"
    assert (
        problem_text(problem)
        == "Chờ trường trả lời (cho): Nhiệm vụ nhận không chỉ ra thông điệp chờ nhận (messageRef)."
    )
