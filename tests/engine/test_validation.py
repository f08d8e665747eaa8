"""engine.core.validation: each deploy-time rule yields a Problem naming the element at fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.core.errors import Problem
from engine.core.parser import load_definition
from engine.core.validation import validate_definition

ROLES = {"clerk", "specialist", "leader", "deputy", "principal", "staff", "police"}
HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">'
)
START = '<bpmn:startEvent id="s"/>'
END = '<bpmn:endEvent id="e"/>'


def doc(body: str, extra: str = "", pid: str = "p") -> bytes:
    process = f'<bpmn:process id="{pid}" isExecutable="true">{body}</bpmn:process>'
    return f"{HEAD}{extra}{process}</bpmn:definitions>".encode()


def chain(*elements: str) -> str:
    """Elements (each with an id="...") connected in order."""
    ids = [e.split('id="', 1)[1].split('"', 1)[0] for e in elements]
    pairs = zip(ids, ids[1:], strict=False)
    flows = "".join(f'<bpmn:sequenceFlow id="f_{a}_{b}" sourceRef="{a}" targetRef="{b}"/>' for a, b in pairs)
    return "".join(elements) + flows


def user(attrs: str = 'camunda:candidateGroups="clerk"', inner: str = "", uid: str = "u") -> str:
    return f'<bpmn:userTask id="{uid}" {attrs}>{inner}</bpmn:userTask>'


def form(*fields: str) -> str:
    return f"<bpmn:extensionElements><camunda:formData>{''.join(fields)}</camunda:formData></bpmn:extensionElements>"


def problems(data: bytes, roles: set[str] = ROLES) -> list[Problem]:
    return validate_definition(data, known_roles=roles)


def assert_problem(found: list[Problem], element: str | None, fragment: str) -> None:
    assert any(p.element_id == element and fragment in p.message for p in found), found


def test_a_clean_definition_has_no_problems():
    body = chain(START, user(inner=form('<camunda:formField id="ok" label="Đồng ý | OK" type="boolean"/>')), END)
    assert problems(doc(body)) == []
    assert validate_definition(load_definition(doc(body)), known_roles=ROLES) == []


def test_the_shipped_workflows_validate():
    from seed.data import ROLES as SEED_ROLES

    folder = Path(__file__).resolve().parents[2] / "workflows"
    for path in sorted(folder.glob("*.bpmn")):
        assert problems(path.read_bytes(), set(SEED_ROLES)) == [], path.name


# --- load failures ----------------------------------------------------------------------------------------
def test_load_failures_become_a_single_problem():
    found = problems(b"<not-closed>")
    assert len(found) == 1 and "well-formed" in found[0].message
    found = problems(doc(chain(START, '<bpmn:scriptTask id="sc"/>', END)))
    assert len(found) == 1 and found[0].element_id == "sc"


# --- assignment -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("attrs", "fragment"),
    [
        ('camunda:candidateGroups="wizard"', "unknown role 'wizard'"),
        ('camunda:candidateGroups="clerk,wizard@self"', "unknown role 'wizard'"),
        ('camunda:candidateGroups="clerk@moon"', "unknown scope '@moon'"),
    ],
)
def test_user_tasks_must_resolve_to_known_roles(attrs, fragment):
    assert_problem(problems(doc(chain(START, user(attrs), END))), "u", fragment)


@pytest.mark.parametrize("group", ["clerk", "specialist@sender", "leader@self"])
def test_groups_with_known_scopes_are_accepted(group):
    assert problems(doc(chain(START, user(f'camunda:candidateGroups="{group}"'), END))) == []


def test_a_lane_can_name_the_role():
    lanes = (
        '<bpmn:laneSet id="ls"><bpmn:lane id="l1" name="clerk"><bpmn:flowNodeRef>u</bpmn:flowNodeRef></bpmn:lane>'
        '<bpmn:lane id="l2" name="Thủ quỹ"><bpmn:flowNodeRef>u2</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>'
    )
    body = lanes + chain(START, user(""), user("", uid="u2"), END)
    found = problems(doc(body))
    assert not [p for p in found if p.element_id == "u"]
    assert_problem(found, "u2", "unknown role 'Thủ quỹ' in lane")


def test_tasks_inside_subprocesses_are_checked():
    sub = (
        '<bpmn:subProcess id="sub"><bpmn:startEvent id="ss"/>'
        '<bpmn:userTask id="inner" camunda:candidateGroups="wizard"/><bpmn:endEvent id="se"/>'
        '<bpmn:sequenceFlow id="a" sourceRef="ss" targetRef="inner"/>'
        '<bpmn:sequenceFlow id="b" sourceRef="inner" targetRef="se"/></bpmn:subProcess>'
    )
    assert_problem(problems(doc(chain(START, sub, END))), "inner", "unknown role 'wizard'")


# --- forms ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        (['<camunda:formField id="a" type="string"/>', '<camunda:formField id="a" type="long"/>'], "declared twice"),
        (['<camunda:formField id="a" type="money"/>'], "unknown type 'money'"),
        (['<camunda:formField id="a" type="enum"/>'], "enum field 'a' has no values"),
        (
            [
                '<camunda:formField id="a" type="enum"><camunda:value id="x" name="X"/><camunda:value id="x" name="Y"/>'
                "</camunda:formField>"
            ],
            "repeats a value id",
        ),
        (
            [
                '<camunda:formField id="a" type="long"><camunda:validation>'
                '<camunda:constraint name="min" config="one"/></camunda:validation></camunda:formField>'
            ],
            "min 'one' is not a number",
        ),
        (
            [
                '<camunda:formField id="a" type="string"><camunda:validation>'
                '<camunda:constraint name="maxlength" config="1.5"/></camunda:validation></camunda:formField>'
            ],
            "maxlength '1.5' is not a whole number",
        ),
        (
            [
                '<camunda:formField id="a" type="long"><camunda:validation><camunda:constraint name="min" config="5"/>'
                '<camunda:constraint name="max" config="1"/></camunda:validation></camunda:formField>'
            ],
            "min is greater than max",
        ),
        (
            [
                '<camunda:formField id="a" type="string"><camunda:validation>'
                '<camunda:constraint name="pattern" config="x"/></camunda:validation></camunda:formField>'
            ],
            "unknown constraint 'pattern'",
        ),
        (['<camunda:formField id="a" type="long" defaultValue="many"/>'], "default 'many' is not valid"),
        (['<camunda:formField id="so-van-ban" type="string"/>'], "must be a name"),
        (['<camunda:formField id="_secret" type="string"/>'], "must be a name"),
    ],
)
def test_malformed_forms_are_named(fields, fragment):
    assert_problem(problems(doc(chain(START, user(inner=form(*fields)), END))), "u", fragment)


# --- expressions, scripts and timers ----------------------------------------------------------------------
def gateway(condition: str) -> str:
    return (
        START + '<bpmn:exclusiveGateway id="g" default="f_no"/><bpmn:endEvent id="yes"/><bpmn:endEvent id="no"/>'
        '<bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="g"/>'
        f'<bpmn:sequenceFlow id="f_yes" sourceRef="g" targetRef="yes"><bpmn:conditionExpression>{condition}'
        "</bpmn:conditionExpression></bpmn:sequenceFlow>"
        '<bpmn:sequenceFlow id="f_no" sourceRef="g" targetRef="no"/>'
    )


@pytest.mark.parametrize("condition", ["__import__('os').system('id')", "${amount > 3}", "amount &gt;"])
def test_conditions_must_compile_under_the_restricted_environment(condition):
    assert_problem(problems(doc(gateway(condition))), "f_yes", "condition does not compile")


def test_good_condition_passes():
    assert problems(doc(gateway("amount &gt; 3 and ok"))) == []


@pytest.mark.parametrize(
    ("script", "fragment"),
    [("import os", "script does not compile"), ("x = open('f')", "script does not compile")],
)
def test_scripts_must_compile(script, fragment):
    body = chain(START, f'<bpmn:scriptTask id="sc"><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>', END)
    assert_problem(problems(doc(body)), "sc", fragment)


def timer(kind: str, text: str) -> bytes:
    event = (
        f'<bpmn:intermediateCatchEvent id="t"><bpmn:timerEventDefinition><bpmn:{kind}>{text}</bpmn:{kind}>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    )
    return doc(chain(START, event, END))


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("timeDuration", "PT72H"),
        ("timeDate", "2022-08-10T17:00:00+07:00"),
        ("timeDate", "2022-08-10"),
        ("timeCycle", "R3/PT1H"),
        ("timeDate", "due_at"),
        ("timeDuration", 'f"PT{hours}H"'),
        ("timeDuration", '"P1D"'),
    ],
)
def test_timers_written_as_iso_literals_or_expressions_pass(kind, text):
    assert problems(timer(kind, text)) == []


@pytest.mark.parametrize(
    ("kind", "text", "fragment"),
    [
        ("timeDuration", "${duration}", "timer does not compile"),
        ("timeDuration", "__import__('os')", "timer does not compile"),
        ("timeDuration", "2022-08-10", "is an ISO-8601 date, not a duration"),
        ("timeDate", "PT5M", "is an ISO-8601 duration, not a date"),
        ("timeCycle", "PT5M", "not a cycle"),
        ("timeDate", "2022-13-45", "is not valid"),
        ("timeDuration", "", "is empty"),
    ],
)
def test_bad_timers_are_named(kind, text, fragment):
    assert_problem(problems(timer(kind, text)), "t", fragment)


@pytest.mark.parametrize(
    ("attrs", "fragment"),
    [
        ('camunda:dueDate="R3/PT1H"', "repeating interval"),
        ('camunda:dueDate="${later}"', "dueDate does not compile"),
        ('camunda:followUpDate="2022-02-30"', "followUpDate '2022-02-30' is not valid"),
    ],
)
def test_due_and_follow_up_dates_are_checked(attrs, fragment):
    body = chain(START, user(f'camunda:candidateGroups="clerk" {attrs}'), END)
    assert_problem(problems(doc(body)), "u", fragment)


MESSAGE = '<bpmn:message id="m" name="plan_filed"/>'


@pytest.mark.parametrize("tag", ["intermediateThrowEvent", "endEvent"])
def test_message_throws_need_a_compiling_camunda_expression(tag):
    missing = f'<bpmn:{tag} id="send"><bpmn:messageEventDefinition messageRef="m"/></bpmn:{tag}>'
    body = chain(START, missing) if tag == "endEvent" else chain(START, missing, END)
    assert_problem(problems(doc(body, extra=MESSAGE)), "send", "has no camunda:expression")
    bad = missing.replace('messageRef="m"', 'messageRef="m" camunda:expression="import os"')
    body = chain(START, bad) if tag == "endEvent" else chain(START, bad, END)
    assert_problem(problems(doc(body, extra=MESSAGE)), "send", "message payload does not compile")
    good = missing.replace('messageRef="m"', 'messageRef="m" camunda:expression="{&quot;id&quot;: 1}"')
    body = chain(START, good) if tag == "endEvent" else chain(START, good, END)
    assert problems(doc(body, extra=MESSAGE)) == []


# --- constructs the engine cannot run ---------------------------------------------------------------------
def test_business_rule_task_needs_its_decision_deployed():
    xml = doc(chain(START, '<bpmn:businessRuleTask id="rule" camunda:decisionRef="d"/>', END))
    found = validate_definition(xml, known_roles=ROLES, decided=lambda key: False)
    assert_problem(found, "rule", "evaluates the DMN decision 'd', which is not deployed")
    assert validate_definition(xml, known_roles=ROLES, decided={"d"}.__contains__) == []
    assert_problem(problems(doc(chain(START, '<bpmn:businessRuleTask id="rule"/>', END))), "rule", "names no decision")


def test_ad_hoc_subprocess_is_named():
    adhoc = '<bpmn:adHocSubProcess id="adhoc"><bpmn:task id="inside"/></bpmn:adHocSubProcess>'
    assert_problem(problems(doc(chain(START, adhoc, END))), "adhoc", "ad-hoc")


def event_subprocess(start_attrs: str, definition: str) -> bytes:
    sub = (
        '<bpmn:subProcess id="evsub" triggeredByEvent="true">'
        f'<bpmn:startEvent id="evstart" {start_attrs}>{definition}</bpmn:startEvent><bpmn:endEvent id="evend"/>'
        '<bpmn:sequenceFlow id="ev1" sourceRef="evstart" targetRef="evend"/></bpmn:subProcess>'
    )
    extra = '<bpmn:message id="m" name="cancel"/><bpmn:error id="err" errorCode="E1"/>'
    return doc(chain(START, user(), END) + sub, extra=extra)


@pytest.mark.parametrize(
    ("attrs", "definition", "fragment"),
    [
        ('isInterrupting="false"', '<bpmn:errorEventDefinition errorRef="err"/>', "error and escalation"),
        ('isInterrupting="false"', "<bpmn:escalationEventDefinition/>", "error and escalation"),
        ("", '<bpmn:messageEventDefinition messageRef="m"/>', "interrupting event sub-processes"),
        ('isInterrupting="true"', '<bpmn:messageEventDefinition messageRef="m"/>', "interrupting"),
    ],
)
def test_unsupported_event_subprocesses_are_named(attrs, definition, fragment):
    assert_problem(problems(event_subprocess(attrs, definition)), "evstart", fragment)


def test_non_interrupting_message_event_subprocess_is_accepted():
    found = problems(event_subprocess('isInterrupting="false"', '<bpmn:messageEventDefinition messageRef="m"/>'))
    assert found == []


def test_conditional_catch_event_is_named():
    event = (
        '<bpmn:intermediateCatchEvent id="cond"><bpmn:conditionalEventDefinition><bpmn:condition>ready'
        "</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>"
    )
    assert_problem(problems(doc(chain(START, event, END))), "cond", "never re-checked")


@pytest.mark.parametrize(
    ("loop", "fragment"),
    [
        (
            "<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>people</bpmn:loopCardinality>"
            "</bpmn:multiInstanceLoopCharacteristics>",
            "integer literal",
        ),
        ('<bpmn:multiInstanceLoopCharacteristics camunda:collection="people"/>', "elementVariable"),
        (
            '<bpmn:standardLoopCharacteristics loopMaximum="many"><bpmn:loopCondition>again</bpmn:loopCondition>'
            "</bpmn:standardLoopCharacteristics>",
            "not a whole number",
        ),
        (
            "<bpmn:standardLoopCharacteristics><bpmn:loopCondition>import os</bpmn:loopCondition>"
            "</bpmn:standardLoopCharacteristics>",
            "loop condition does not compile",
        ),
    ],
)
def test_loops_the_engine_cannot_run_as_written_are_named(loop, fragment):
    body = chain(START, user(inner=loop), END)
    assert_problem(problems(doc(body)), "u", fragment)


def test_integer_cardinality_and_collections_are_accepted():
    for loop in (
        "<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>3</bpmn:loopCardinality>"
        "</bpmn:multiInstanceLoopCharacteristics>",
        '<bpmn:multiInstanceLoopCharacteristics camunda:collection="people" camunda:elementVariable="person"/>',
    ):
        assert problems(doc(chain(START, user(inner=loop), END))) == []


def test_service_task_must_name_its_service():
    found = problems(doc(chain(START, '<bpmn:serviceTask id="svc"/>', END)))
    assert_problem(found, "svc", "names no service")


def test_problems_are_not_repeated():
    found = problems(doc(chain(START, user('camunda:candidateGroups="wizard,wizard"'), END)))
    assert len([p for p in found if "wizard" in p.message]) == 1
