"""engine.core.xmlsafe and engine.core.parser: hostile uploads refused, Camunda attributes captured, ISO timers run,
service tasks wait for the application, and specs survive serialization."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.util.task import TaskState

from engine.core.errors import DefinitionError
from engine.core.parser import (
    Definition,
    install_engine_patches,
    is_iso_literal,
    iso_literal_kind,
    load_definition,
    make_registry,
    timer_expression,
)
from engine.core.sandbox import make_script_engine
from engine.core.xmlsafe import CAMUNDA_NS, human_size, parse_xml, rewrite_foreign_camunda_namespace

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
HEAD = f'<bpmn:definitions xmlns:bpmn="{BPMN}" xmlns:camunda="{CAMUNDA_NS}" id="defs" targetNamespace="t">'


def doc(*processes: str, extra: str = "") -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{HEAD}{extra}{"".join(processes)}</bpmn:definitions>'.encode()


def process(body: str, pid: str = "p", name: str | None = None, executable: bool = True) -> str:
    name_attr = f' name="{name}"' if name else ""
    return f'<bpmn:process id="{pid}"{name_attr} isExecutable="{str(executable).lower()}">{body}</bpmn:process>'


def flow(source: str, target: str) -> str:
    return f'<bpmn:sequenceFlow id="{source}_{target}" sourceRef="{source}" targetRef="{target}"/>'


def linear(*elements: tuple[str, str]) -> str:
    """(id, xml) pairs connected in order by sequence flows."""
    parts = [xml for _, xml in elements]
    parts += [flow(a[0], b[0]) for a, b in zip(elements, elements[1:], strict=False)]
    return "".join(parts)


START = ("s", '<bpmn:startEvent id="s"/>')
END = ("e", '<bpmn:endEvent id="e"/>')


def run(definition: Definition, pid: str = "p", data: dict | None = None) -> BpmnWorkflow:
    spec, subs = definition.specs[pid]
    wf = BpmnWorkflow(spec, subs, script_engine=make_script_engine())
    if data:
        wf.task_tree.data.update(data)
    wf.do_engine_steps()
    return wf


def named(wf: BpmnWorkflow, bpmn_id: str):
    return [t for t in wf.get_tasks() if t.task_spec.bpmn_id == bpmn_id]


# --- hostile or malformed input ---------------------------------------------------------------------------
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<bpmn:definitions xmlns:bpmn="' + BPMN.encode() + b'">&xxe;</bpmn:definitions>'
)
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>'
)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"", "The file is empty"),
        (b"   \n ", "The file is empty"),
        (XXE, "DOCTYPE"),
        (LAUGHS, "DOCTYPE"),
        (b"<!-- c --><!DOCTYPE x><x/>", "DOCTYPE"),
        (b"this is not xml", "not well-formed XML (line 1)"),
        (b"<a>\n<b></a>", "not well-formed XML (line 2)"),
        (b'<?xml version="1.0"?><html><body/></html>', "not a BPMN 2.0 file"),
        (b'<definitions xmlns="http://example.com/other"/>', "not a BPMN 2.0 file"),
    ],
)
def test_hostile_or_malformed_input_is_refused_with_a_clear_message(payload, expected):
    with pytest.raises(DefinitionError) as exc:
        parse_xml(payload)
    assert expected in str(exc.value)
    assert exc.value.problems and exc.value.problems[0].element_id is None
    with pytest.raises(DefinitionError):
        load_definition(payload)


def test_doctype_in_another_encoding_is_refused_after_parsing():
    text = f'<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE d><bpmn:definitions xmlns:bpmn="{BPMN}"/>'
    with pytest.raises(DefinitionError, match="DOCTYPE"):
        parse_xml(text.encode("utf-16"))


def test_oversized_file_is_refused_with_both_sizes():
    payload = b"<a>" + b"x" * 3_100_000 + b"</a>"
    with pytest.raises(DefinitionError) as exc:
        parse_xml(payload)
    assert "the file is 3.1 MB, the limit is 2 MB" in str(exc.value)
    with pytest.raises(DefinitionError, match="the limit is 1 kB"):
        parse_xml(b"<a>" + b"x" * 2000 + b"</a>", max_bytes=1000)
    assert human_size(512) == "512 bytes"


def test_str_input_with_an_xml_declaration_is_accepted():
    text = doc(process(linear(START, END))).decode()
    assert text.startswith("<?xml")
    root = parse_xml(text)
    assert root.tag == f"{{{BPMN}}}definitions"
    assert load_definition(text).process_ids == ["p"]


def test_activiti_namespace_bound_to_the_camunda_prefix_is_read_as_camunda():
    text = doc(process(linear(START, ("u", '<bpmn:userTask id="u" camunda:candidateGroups="clerk"/>'), END)))
    foreign = text.replace(CAMUNDA_NS.encode(), b"http://activiti.org/bpmn")
    root = rewrite_foreign_camunda_namespace(parse_xml(foreign))
    assert root.find(f".//{{{BPMN}}}userTask").get(f"{{{CAMUNDA_NS}}}candidateGroups") == "clerk"
    definition = load_definition(foreign)
    spec, _ = definition.specs["p"]
    assert spec.task_specs["u"].extensions["candidateGroups"] == ["clerk"]
    assert b"activiti" not in definition.xml
    untouched = parse_xml(text)
    assert rewrite_foreign_camunda_namespace(untouched) is untouched


# --- what the parser captures -----------------------------------------------------------------------------
USER_TASK = (
    '<bpmn:userTask id="u" name="Duyệt | Approve" camunda:candidateGroups=" leader , deputy@sender,, "'
    ' camunda:candidateUsers="an,binh" camunda:assignee="chi" camunda:dueDate="P3D"'
    ' camunda:followUpDate="2022-08-10" camunda:priority="70">'
    "<bpmn:extensionElements>"
    '<camunda:properties><camunda:property name="display" value="card"/></camunda:properties>'
    "<camunda:formData>"
    '<camunda:formField id="ok" label="Đồng ý | Agree" type="boolean"/>'
    "</camunda:formData>"
    "</bpmn:extensionElements>"
    "</bpmn:userTask>"
)


def test_user_task_assignment_attributes_and_properties_are_captured():
    definition = load_definition(doc(process(linear(START, ("u", USER_TASK), END))))
    task_spec = definition.specs["p"][0].task_specs["u"]
    assert task_spec.extensions == {
        "display": "card",
        "candidateGroups": ["leader", "deputy@sender"],
        "candidateUsers": ["an", "binh"],
        "assignee": "chi",
        "dueDate": "P3D",
        "followUpDate": "2022-08-10",
        "priority": "70",
    }
    assert [f.id for f in task_spec.form.fields] == ["ok"]


def test_properties_on_events_scripts_and_subprocesses_stay_on_their_own_element():
    props = (
        '<bpmn:extensionElements><camunda:properties><camunda:property name="{0}" value="{1}"/>'
        "</camunda:properties></bpmn:extensionElements>"
    )
    sub = (
        f'<bpmn:subProcess id="sub">{props.format("level", "outer")}'
        '<bpmn:startEvent id="ss"/>'
        f'<bpmn:scriptTask id="inner">{props.format("level", "inner")}<bpmn:script>x = 1</bpmn:script>'
        "</bpmn:scriptTask>"
        '<bpmn:endEvent id="se"/>' + flow("ss", "inner") + flow("inner", "se") + "</bpmn:subProcess>"
    )
    body = linear(
        ("s", f'<bpmn:startEvent id="s">{props.format("orgKinds", "school")}</bpmn:startEvent>'),
        ("sub", sub),
        ("t", f'<bpmn:intermediateThrowEvent id="t">{props.format("k", "v")}</bpmn:intermediateThrowEvent>'),
        END,
    )
    definition = load_definition(doc(process(body, name="Kế hoạch | Plan")))
    spec, subs = definition.specs["p"]
    assert spec.task_specs["sub"].extensions == {"level": "outer"}
    assert subs["sub"].task_specs["inner"].extensions == {"level": "inner"}
    assert spec.task_specs["t"].extensions == {"k": "v"}
    assert definition.start_properties == {"p": {"orgKinds": "school"}}
    assert definition.names == {"p": "Kế hoạch | Plan"}
    wf = run(definition)
    assert wf.is_completed()


def test_start_messages_and_names_are_per_process():
    messages = '<bpmn:message id="m1" name="order"/><bpmn:message id="m2" name="payment"/>'

    def starter(pid: str, ref: str) -> str:
        start = f'<bpmn:startEvent id="{pid}_s"><bpmn:messageEventDefinition messageRef="{ref}"/></bpmn:startEvent>'
        return process(start + f'<bpmn:endEvent id="{pid}_e"/>' + flow(f"{pid}_s", f"{pid}_e"), pid=pid)

    definition = load_definition(
        doc(
            starter("seller", "m1"),
            starter("bank", "m2"),
            process(linear(START, END), pid="draft", executable=False),
            extra=messages,
        )
    )
    assert definition.process_ids == ["seller", "bank"]
    assert definition.start_messages == {"seller": ["order"], "bank": ["payment"]}
    assert definition.names == {"seller": "seller", "bank": "bank"}
    assert definition.xml.startswith(b"<?xml")


def test_a_file_without_executable_process_is_refused():
    with pytest.raises(DefinitionError, match="no executable process"):
        load_definition(doc(process(linear(START, END), executable=False)))


def test_parse_failures_name_the_element():
    gateway = (
        linear(START, ("g", '<bpmn:exclusiveGateway id="g"/>'), END)
        + '<bpmn:endEvent id="e2"/><bpmn:sequenceFlow id="g_e2" sourceRef="g" targetRef="e2"/>'
    )
    with pytest.raises(DefinitionError) as exc:
        load_definition(doc(process(gateway)))
    assert exc.value.problems[0].element_id in ("g_e", "g_e2")
    assert "without condition" in exc.value.problems[0].message

    no_script = linear(START, ("sc", '<bpmn:scriptTask id="sc"/>'), END)
    with pytest.raises(DefinitionError) as exc:
        load_definition(doc(process(no_script)))
    assert exc.value.problems[0].element_id == "sc"

    call = linear(START, ("c", '<bpmn:callActivity id="c" calledElement="elsewhere"/>'), END)
    with pytest.raises(DefinitionError) as exc:
        load_definition(doc(process(call)))
    assert exc.value.problems[0].element_id == "c"
    assert "elsewhere" in exc.value.problems[0].message


def test_call_activity_to_a_process_of_the_same_file_resolves():
    child = process(
        linear(
            ("cs", '<bpmn:startEvent id="cs"/>'),
            ("cu", '<bpmn:userTask id="cu" camunda:candidateGroups="clerk"/>'),
            ("ce", '<bpmn:endEvent id="ce"/>'),
        ),
        pid="child",
    )
    parent = process(linear(START, ("c", '<bpmn:callActivity id="c" calledElement="child"/>'), END))
    definition = load_definition(doc(parent, child))
    _, subs = definition.specs["p"]
    assert set(subs) == {"child"}
    wf = run(definition)
    (task,) = wf.get_tasks(state=TaskState.READY, manual=True)
    assert task.task_spec.extensions["candidateGroups"] == ["clerk"]


# --- service tasks ----------------------------------------------------------------------------------------
SERVICE = (
    '<bpmn:serviceTask id="svc" camunda:type="external" camunda:topic="dispatch">'
    '<bpmn:extensionElements><camunda:properties><camunda:property name="service" value="issue_document"/>'
    "</camunda:properties></bpmn:extensionElements></bpmn:serviceTask>"
)


def test_service_task_waits_in_started_until_the_application_completes_it():
    definition = load_definition(doc(process(linear(START, ("svc", SERVICE), END))))
    wf = run(definition)
    (task,) = named(wf, "svc")
    assert task.state == TaskState.STARTED
    assert task.task_spec.extensions == {"service": "issue_document", "type": "external", "topic": "dispatch"}
    wf.do_engine_steps()
    assert task.state == TaskState.STARTED and not wf.is_completed()
    task.data["document_id"] = 7
    task.complete()
    wf.do_engine_steps()
    assert wf.is_completed()
    assert wf.data["document_id"] == 7


# --- timers -----------------------------------------------------------------------------------------------
def test_iso_literal_recognition():
    for text in (
        "PT72H",
        "P3D",
        "P2W",
        "PT1.5H",
        "P1Y2M3DT4H5M6S",
        "2022-08-10",
        "2022-08-10T17:00:00+07:00",
        "2022-08-10T17:00:00Z",
        "2022-W32-3",
        "R3/PT1H",
        "R/PT10M",
        "R2/2022-08-10T00:00:00Z/P1D",
    ):
        assert is_iso_literal(text), text
    for text in ("P", "PT", "P1DT", "due_at", '"PT5M"', 'f"PT{h}H"', "PT5M + x", "2022-8-1", ""):
        assert not is_iso_literal(text), text
    assert iso_literal_kind(" PT5M\n") == "duration"
    assert iso_literal_kind("2022-08-10") == "date"
    assert iso_literal_kind("R3/PT1H") == "cycle"
    assert timer_expression(" PT72H ") == '"PT72H"'
    assert timer_expression("due_at") == "due_at"
    assert timer_expression(None) is None


def timer_process(kind: str, text: str) -> bytes:
    timer = (
        f'<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:{kind}>{text}</bpmn:{kind}>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    )
    return doc(process(linear(START, ("wait", timer), END)))


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("timeDuration", "PT0S"),
        ("timeDate", "2022-08-10T17:00:00+07:00"),
        ("timeDate", "2022-08-10"),
        ("timeDuration", '"PT0S"'),  # already quoted: still an expression, still fine
        ("timeDuration", 'f"PT{secs}S"'),
        ("timeDate", "due_at"),
    ],
)
def test_timers_fire_whether_written_as_iso_literals_or_expressions(kind, text):
    definition = load_definition(timer_process(kind, text))
    spec, _ = definition.specs["p"]
    expression = spec.task_specs["wait"].event_definition.expression
    assert expression.startswith(('"', "f", "due"))
    past = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    wf = run(definition, data={"secs": 0, "due_at": past})
    for _ in range(3):
        if wf.is_completed():
            break
        wf.refresh_timers()
        wf.do_engine_steps()
    assert wf.is_completed()
    assert f">{text}<".encode() in definition.xml  # the stored XML keeps what the modeller wrote


def test_one_second_duration_waits_then_fires():
    definition = load_definition(timer_process("timeDuration", "PT1S"))
    wf = run(definition)
    wf.refresh_timers()
    wf.do_engine_steps()
    assert not wf.is_completed()
    (wait,) = named(wf, "wait")
    due = datetime.fromisoformat(wait.internal_data["event_value"])
    assert timedelta(0) < due - datetime.now(UTC) <= timedelta(seconds=1)
    time.sleep(1.1)
    wf.refresh_timers()
    wf.do_engine_steps()
    assert wf.is_completed()


def test_future_date_timer_does_not_fire():
    definition = load_definition(timer_process("timeDate", "2999-01-01T00:00:00Z"))
    wf = run(definition)
    wf.refresh_timers()
    wf.do_engine_steps()
    assert not wf.is_completed()


def test_cycle_timer_as_iso_literal_fires_each_cycle():
    boundary = (
        '<bpmn:boundaryEvent id="remind" attachedToRef="u" cancelActivity="false"><bpmn:timerEventDefinition>'
        "<bpmn:timeCycle>R3/PT0S</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
        '<bpmn:scriptTask id="count"><bpmn:script>reminded = True</bpmn:script></bpmn:scriptTask>'
        '<bpmn:endEvent id="e2"/>' + flow("remind", "count") + flow("count", "e2")
    )
    body = linear(START, ("u", '<bpmn:userTask id="u" camunda:candidateGroups="clerk"/>'), END) + boundary
    definition = load_definition(doc(process(body)))
    assert definition.specs["p"][0].task_specs["remind"].event_definition.expression == '"R3/PT0S"'
    wf = run(definition)
    for _ in range(6):
        wf.refresh_timers()
        wf.do_engine_steps()
    done = [t for t in named(wf, "count") if t.state == TaskState.COMPLETED]
    assert len(done) == 3
    (user,) = wf.get_tasks(state=TaskState.READY, manual=True)
    user.run()
    wf.do_engine_steps()
    assert wf.is_completed()


# --- serialization and engine patches ---------------------------------------------------------------------
def test_workflow_from_a_cascade_spec_survives_serialization_with_extensions():
    definition = load_definition(doc(process(linear(START, ("u", USER_TASK), END))))
    wf = run(definition)
    (task,) = wf.get_tasks(state=TaskState.READY, manual=True)
    task.data["when"] = date(2022, 8, 10)
    task.data["at"] = datetime(2022, 8, 10, 9, 30, tzinfo=UTC)
    serializer = BpmnWorkflowSerializer(make_registry())
    restored = serializer.deserialize_json(serializer.serialize_json(wf))
    (again,) = restored.get_tasks(state=TaskState.READY, manual=True)
    assert again.task_spec.extensions["candidateGroups"] == ["leader", "deputy@sender"]
    assert again.task_spec.extensions["dueDate"] == "P3D"
    assert [f.id for f in again.task_spec.form.fields] == ["ok"]
    assert again.data["when"] == date(2022, 8, 10)
    assert again.data["at"] == datetime(2022, 8, 10, 9, 30, tzinfo=UTC)
    again.run()
    restored.do_engine_steps()
    assert restored.is_completed()


def test_install_engine_patches_is_idempotent_and_lifts_the_depth_limit():
    install_engine_patches()
    from SpiffWorkflow.bpmn.util.subworkflow import BpmnBaseWorkflow

    patched = BpmnBaseWorkflow.get_tasks_iterator
    install_engine_patches()
    assert BpmnBaseWorkflow.get_tasks_iterator is patched
    wf = run(load_definition(doc(process(linear(START, END)))))
    assert wf.get_tasks_iterator().max_depth == 10**9
    assert wf.get_tasks_iterator(max_depth=3).max_depth == 3


def test_gateway_loop_runs_past_the_old_depth_limit():
    install_engine_patches()
    body = (
        '<bpmn:startEvent id="s"/><bpmn:scriptTask id="inc"><bpmn:script>n += 1</bpmn:script></bpmn:scriptTask>'
        '<bpmn:exclusiveGateway id="g" default="back"/><bpmn:endEvent id="e"/>'
        + flow("s", "inc")
        + flow("inc", "g")
        + '<bpmn:sequenceFlow id="back" sourceRef="g" targetRef="inc"/>'
        + '<bpmn:sequenceFlow id="out" sourceRef="g" targetRef="e"><bpmn:conditionExpression>n &gt;= 550'
        "</bpmn:conditionExpression></bpmn:sequenceFlow>"
    )
    wf = run(load_definition(doc(process(body))), data={"n": 0})
    # Without the patch the engine stops at n == 500 (tree depth 1000) and even reports is_completed().
    assert wf.is_completed()
    assert wf.data["n"] == 550
