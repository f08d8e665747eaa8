"""Deploy says what validate says: every problem, each naming its element (name and id), in Vietnamese, never a
Python repr nor a bare KeyError."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from engine.core.cascade import Cascade
from engine.core.errors import DefinitionError
from engine.core.ports import Actor
from engine.core.problem_text import known, problem_json, problem_text, vietnamese
from engine.core.validation import validate_definition
from tests.engine.test_validation import END, START, chain, doc, form, user

ROLES = {"clerk", "leader"}
BROKEN = doc(
    chain(
        START,
        '<bpmn:businessRuleTask id="rule" name="Xếp mức độ" camunda:decisionRef="muc_do"/>',
        '<bpmn:intermediateThrowEvent id="send" name="Báo cáo"><bpmn:messageEventDefinition messageRef="m"/>'
        "</bpmn:intermediateThrowEvent>",
        END,
    ),
    extra='<bpmn:message id="m" name="m"/>',
)
UNKNOWN_ROLE = doc(chain(START, user('name="Duyệt" camunda:candidateGroups="wizard"', uid="approve"), END))
DATA_ASSOCIATION = doc(
    chain(
        START,
        '<bpmn:task id="t" name="Ghi"><bpmn:dataInputAssociation id="a"><bpmn:sourceRef>nowhere</bpmn:sourceRef>'
        "</bpmn:dataInputAssociation></bpmn:task>",
        END,
    )
)
ACTOR = Actor(user_id=1, org_id=1, roles=frozenset({"admin"}))
NOTHING_DEPLOYED = SimpleNamespace(latest_decision=lambda key: None, latest_definition=lambda pid: None)


def deploy_problems(xml: bytes) -> list:
    with pytest.raises(DefinitionError) as caught:
        Cascade().deploy(NOTHING_DEPLOYED, ACTOR, xml, source="upload.bpmn", known_roles=ROLES)  # refused, no write
    return caught.value.problems


def key(problems) -> list:
    return [(p.element_id, p.name, p.message) for p in problems]


@pytest.mark.parametrize("xml", [BROKEN, UNKNOWN_ROLE, DATA_ASSOCIATION])
def test_deploy_reports_every_problem_validate_reports(xml):
    assert key(deploy_problems(xml)) == key(validate_definition(xml, known_roles=ROLES, decided=lambda k: False))


def test_problems_name_their_element_and_never_a_bare_key_error():
    deployed = deploy_problems(BROKEN) + deploy_problems(UNKNOWN_ROLE)
    by_id = {p.element_id: p for p in deployed}
    assert by_id["rule"].name == "Xếp mức độ" and "DMN" in by_id["rule"].message
    assert by_id["send"].name == "Báo cáo" and "camunda:expression" in by_id["send"].message
    assert by_id["approve"].name == "Duyệt" and "unknown role 'wizard'" in by_id["approve"].message
    for problem in deployed:
        assert "KeyError" not in problem.message and "{http" not in problem.message


def test_no_python_object_reaches_a_message():
    problems = deploy_problems(DATA_ASSOCIATION)
    assert problems and all("<Element" not in p.message and "0x" not in p.message for p in problems)
    assert any(p.element_id == "t" and p.name == "Ghi" for p in problems), problems


def test_problems_read_in_vietnamese_with_the_element_named():
    rule = next(p for p in deploy_problems(BROKEN) if p.element_id == "rule")
    assert problem_text(rule).startswith("Xếp mức độ (rule): Nhiệm vụ quy tắc nghiệp vụ")
    assert problem_text(rule, "en").startswith("Xếp mức độ (rule): evaluates the DMN decision 'muc_do'")
    assert problem_json(rule)["name"] == "Xếp mức độ"
    assert vietnamese("unknown role 'wizard' in candidate group 'wizard' (known: clerk)") == (
        "Vai trò 'wizard' trong nhóm thực hiện 'wizard' không tồn tại (có: clerk)."
    )


SAMPLES = [
    BROKEN,
    DATA_ASSOCIATION,
    b"<not-closed>",
    b"",
    doc(chain(START, '<bpmn:scriptTask id="sc"/>', '<bpmn:businessRuleTask id="br"/>', END)),
    doc(chain(START, '<bpmn:serviceTask id="svc"/>', END)),
    doc(chain(START, user('camunda:candidateGroups="clerk@moon" camunda:dueDate="R3/PT1H"'), END)),
    doc(chain(START, user(inner=form('<camunda:formField id="x" type="textarea"/>')), END)),
    doc(chain(START, '<bpmn:complexGateway id="cg"/>', '<bpmn:receiveTask id="rt"/>', '<bpmn:sendTask id="st"/>', END)),
    doc(
        chain(
            START,
            '<bpmn:intermediateCatchEvent id="t"><bpmn:timerEventDefinition><bpmn:timeDuration>P1Q'
            "</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>",
            '<bpmn:intermediateThrowEvent id="m"><bpmn:messageEventDefinition messageRef="x"/>'
            "</bpmn:intermediateThrowEvent>",
            END,
        ),
        extra='<bpmn:message id="x" name="x"/>',
    ),
]


@pytest.mark.parametrize("xml", SAMPLES)
def test_every_message_has_its_vietnamese_text(xml):
    problems = validate_definition(xml, known_roles=ROLES, known_messages=set())
    assert problems
    unknown = [p.message for p in problems if not known(p.message)]
    assert unknown == []
