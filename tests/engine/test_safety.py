"""The engine's guards: hostile XML refused, scripts restricted and time-limited, ISO timers as modellers
write them, forms validated and coerced."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow

from engine.core.clock import clock, install_clock
from engine.core.errors import DefinitionError, FormValidationError, ScriptError
from engine.core.forms import FieldDef, validate_form
from engine.core.parser import load_definition
from engine.core.sandbox import make_script_engine
from engine.core.validation import validate_definition

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">'
)


def process(body: str, pid: str = "p") -> bytes:
    return f'{HEAD}<bpmn:process id="{pid}" isExecutable="true">{body}</bpmn:process></bpmn:definitions>'.encode()


TIMER = process(
    '<bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
    '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wait"/>'
    '<bpmn:intermediateCatchEvent id="wait"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>'
    "<bpmn:timerEventDefinition><bpmn:timeDuration>PT72H</bpmn:timeDuration></bpmn:timerEventDefinition>"
    "</bpmn:intermediateCatchEvent>"
    '<bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="e"/>'
    '<bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "empty"),
        (b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>", "DOCTYPE"),
        (
            b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b"<l>&b;</l>",
            "DOCTYPE",
        ),
        (b"<not-closed>", "well-formed"),
        (b'<?xml version="1.0"?><html><body/></html>', "BPMN"),
        (b"<a>" + b"x" * 2_100_000 + b"</a>", "limit"),
    ],
)
def test_hostile_or_malformed_files_are_refused(payload, message):
    with pytest.raises(DefinitionError) as exc:
        load_definition(payload)
    assert message.lower() in str(exc.value).lower()


def test_iso_duration_timer_as_a_modeller_writes_it_fires_on_the_engine_clock():
    install_clock()
    spec, subs = load_definition(TIMER).specs["p"]
    start = datetime(2022, 8, 1, 1, 0, tzinfo=UTC)
    clock.freeze(start)
    try:
        wf = BpmnWorkflow(spec, subs, script_engine=make_script_engine())
        wf.do_engine_steps()
        assert not wf.is_completed()
        clock.freeze(start + timedelta(hours=71, minutes=59))
        wf.refresh_timers()
        wf.do_engine_steps()
        assert not wf.is_completed()
        clock.freeze(start + timedelta(hours=72, seconds=1))
        wf.refresh_timers()
        wf.do_engine_steps()
        assert wf.is_completed()
    finally:
        clock.reset()


@pytest.mark.parametrize(
    "script",
    [
        "import os",
        "x = open('/etc/hostname').read()",
        "x = ().__class__.__base__.__subclasses__()",
        "x = getattr(1, '__class__')",
        "x = __import__('os')",
        "x = '{0.__class__}'.format(1)",
    ],
)
def test_scripts_cannot_reach_the_server(script):
    env = make_script_engine().environment
    with pytest.raises((SyntaxError, ScriptError, NameError, AttributeError, TypeError, KeyError)):
        env.execute(script, {})


def test_endless_script_is_stopped_by_the_time_limit():
    env = make_script_engine(time_limit=0.5).environment
    started = time.monotonic()
    with pytest.raises(ScriptError, match="time limit"):
        env.execute("while True:\n    pass", {})
    assert time.monotonic() - started < 3


def test_normal_scripts_and_conditions_work():
    env = make_script_engine().environment
    data = {"xs": [3, 1, 2]}
    env.execute("total = 0\nfor x in sorted(xs):\n    total += x\nd = {'k': [i * 2 for i in xs]}", data)
    assert data["total"] == 6 and data["d"] == {"k": [6, 2, 4]}
    assert env.evaluate('total > 5 and d["k"][0] == 6', data) is True


def test_form_values_are_validated_and_coerced():
    fields = [
        FieldDef("n", "Số | Number", "long", required=True, min=0, max=10),
        FieldDef("d", "Ngày | Date", "date"),
        FieldDef("e", "Chọn | Choice", "enum", options=(("a", "A"), ("b", "B"))),
        FieldDef("b", "Có | Yes", "boolean"),
        FieldDef("s", "Chữ | Text", "string", maxlength=5),
    ]
    clean = validate_form(fields, {"n": "7", "d": "03/08/2022", "e": "b", "b": "on", "s": " Hà ", "x": "dropped"})
    assert clean == {"n": 7, "d": "2022-08-03", "e": "b", "b": True, "s": "Hà"}
    with pytest.raises(FormValidationError) as exc:
        validate_form(fields, {"n": "11", "d": "31/02/2022", "e": "z", "b": "maybe", "s": "quá dài"})
    assert {k: v.code for k, v in exc.value.errors.items()} == {
        "n": "too_large",
        "d": "not_a_date",
        "e": "not_an_option",
        "b": "not_boolean",
        "s": "too_long",
    }
    with pytest.raises(FormValidationError) as exc:
        validate_form(fields, {"n": ""})
    assert exc.value.errors["n"].code == "required"


def test_deploy_validation_names_the_element_at_fault():
    bad = process(
        '<bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
        '<bpmn:userTask id="t" camunda:candidateGroups="wizard"><bpmn:incoming>f1</bpmn:incoming>'
        "<bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>"
        '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="g"/>'
        '<bpmn:exclusiveGateway id="g"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>'
        "</bpmn:exclusiveGateway>"
        '<bpmn:sequenceFlow id="f3" sourceRef="g" targetRef="e">'
        "<bpmn:conditionExpression>__import__('os').system('id')</bpmn:conditionExpression></bpmn:sequenceFlow>"
        '<bpmn:endEvent id="e"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>'
    )
    problems = {(p.element_id, p.message.split(" ")[0]) for p in validate_definition(bad, known_roles={"staff"})}
    assert ("t", "unknown") in problems
    assert ("f3", "condition") in problems


def test_the_shipped_workflows_validate():
    from pathlib import Path

    from seed.data import ROLES

    for path in sorted((Path(__file__).resolve().parents[2] / "workflows").glob("*.bpmn")):
        assert validate_definition(path.read_bytes(), known_roles=set(ROLES)) == [], path.name
