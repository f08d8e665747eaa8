"""Timer start events (schedule, deploy checks, starting at the event) and call activities to a process of another
file (deploy check, data in and out, the called version pinned at the first call), engine only: the state is
saved to rows and rebuilt after every step, as another worker would."""

from __future__ import annotations

from datetime import datetime

from SpiffWorkflow.task import TaskState

from engine.core.calls import PINS, external_calls
from engine.core.clock import VN_TZ
from engine.core.ports import DefinitionRecord
from engine.core.problem_text import vietnamese
from engine.core.runtime import Runtime
from engine.core.timer_starts import fire_timer_start, timer_starts, without_timer_starts
from engine.core.validation import validate_definition
from tests.engine.test_state import RowStore

ROLES = {"leader", "clerk"}
HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">'
)
YEARLY = "R/2022-11-16T00:00:00+07:00/P1Y"


def at(*args) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


def timer_xml(timer: str = f"<bpmn:timeCycle>{YEARLY}</bpmn:timeCycle>", kinds: str | None = "office") -> bytes:
    props = (
        f'<bpmn:extensionElements><camunda:properties><camunda:property name="orgKinds" value="{kinds}"/>'
        "</camunda:properties></bpmn:extensionElements>"
        if kinds
        else ""
    )
    process = (
        '<bpmn:process id="yearly" name="Tổng kết năm | Yearly review" isExecutable="true">'
        f'<bpmn:startEvent id="every_year" name="Mỗi năm">{props}'
        f"<bpmn:timerEventDefinition>{timer}</bpmn:timerEventDefinition></bpmn:startEvent>"
        '<bpmn:startEvent id="by_message"><bpmn:messageEventDefinition messageRef="m_kick"/></bpmn:startEvent>'
        '<bpmn:userTask id="review" name="Tổng kết" camunda:candidateGroups="leader"/>'
        '<bpmn:endEvent id="end"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="every_year" targetRef="review"/>'
        '<bpmn:sequenceFlow id="f0" sourceRef="by_message" targetRef="review"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end"/>'
        "</bpmn:process>"
    )
    return f'{HEAD}<bpmn:message id="m_kick" name="kick"/>{process}</bpmn:definitions>'.encode()


def child_xml(factor: int = 2) -> bytes:
    process = (
        '<bpmn:process id="child_review" isExecutable="true"><bpmn:startEvent id="cs"/>'
        '<bpmn:userTask id="child_check" name="Kiểm tra" camunda:candidateGroups="clerk"/>'
        f'<bpmn:scriptTask id="child_calc"><bpmn:script>doubled = amount * {factor}</bpmn:script></bpmn:scriptTask>'
        '<bpmn:endEvent id="ce"/>'
        '<bpmn:sequenceFlow id="c1" sourceRef="cs" targetRef="child_check"/>'
        '<bpmn:sequenceFlow id="c2" sourceRef="child_check" targetRef="child_calc"/>'
        '<bpmn:sequenceFlow id="c3" sourceRef="child_calc" targetRef="ce"/></bpmn:process>'
    )
    return f"{HEAD}{process}</bpmn:definitions>".encode()


def parent_xml(called: str = "child_review", prepare: bool = False) -> bytes:
    """init sets amount; with `prepare`, a person acts before the call (the instance waits, warm, uncalled)."""
    init = '<bpmn:scriptTask id="init"><bpmn:script>amount = 5</bpmn:script></bpmn:scriptTask>'
    if prepare:
        init = (
            '<bpmn:userTask id="init" name="Chuẩn bị" camunda:candidateGroups="leader">'
            '<bpmn:extensionElements><camunda:formData><camunda:formField id="amount" label="Số" type="long"/>'
            "</camunda:formData></bpmn:extensionElements></bpmn:userTask>"
        )
    process = (
        '<bpmn:process id="parent" isExecutable="true"><bpmn:startEvent id="ps"/>'
        f"{init}"
        f'<bpmn:callActivity id="ask_child" name="Hỏi con" calledElement="{called}"/>'
        '<bpmn:scriptTask id="after"><bpmn:script>result = doubled + 1</bpmn:script></bpmn:scriptTask>'
        '<bpmn:userTask id="confirm" name="Xác nhận" camunda:candidateGroups="leader"/>'
        '<bpmn:endEvent id="pe"/>'
        '<bpmn:sequenceFlow id="p1" sourceRef="ps" targetRef="init"/>'
        '<bpmn:sequenceFlow id="p2" sourceRef="init" targetRef="ask_child"/>'
        '<bpmn:sequenceFlow id="p3" sourceRef="ask_child" targetRef="after"/>'
        '<bpmn:sequenceFlow id="p4" sourceRef="after" targetRef="confirm"/>'
        '<bpmn:sequenceFlow id="p5" sourceRef="confirm" targetRef="pe"/></bpmn:process>'
    )
    return f"{HEAD}{process}</bpmn:definitions>".encode()


# --- timer start events ------------------------------------------------------------------------------------
def test_a_yearly_cycle_is_due_on_its_date_each_year_computed_from_the_last_one():
    (timer,) = timer_starts(timer_xml(), "yearly")
    assert timer.event_id == "every_year" and timer.org_kinds == {"office"}
    assert timer.latest_due(at(2022, 11, 15, 23, 59)) is None
    assert timer.latest_due(at(2022, 11, 16, 0, 0, 1)) == at(2022, 11, 16)
    assert timer.latest_due(at(2023, 11, 15)) == at(2022, 11, 16)
    # a leap year in between: each due time is one year after the last, on the same date
    assert timer.latest_due(at(2025, 1, 1)) == at(2024, 11, 16)
    assert timer.latest_due(at(2025, 11, 16, 0, 0, 1)) == at(2025, 11, 16)


def test_a_bounded_cycle_stops_and_a_time_date_is_due_once():
    (cycle,) = timer_starts(timer_xml("<bpmn:timeCycle>R2/2022-08-01T07:00:00+07:00/P1D</bpmn:timeCycle>"), "yearly")
    assert cycle.latest_due(at(2022, 8, 9)) == at(2022, 8, 2, 7)
    (date,) = timer_starts(timer_xml("<bpmn:timeDate>2022-09-05T07:30:00</bpmn:timeDate>"), "yearly")
    assert date.latest_due(at(2022, 9, 5, 7, 29)) is None
    assert date.latest_due(at(2030, 1, 1)) == at(2022, 9, 5, 7, 30)  # naive: Vietnam time


def test_deploy_refuses_timer_starts_the_worker_cannot_schedule_naming_the_element():
    assert validate_definition(timer_xml(), known_roles=ROLES) == []
    assert validate_definition(timer_xml("<bpmn:timeDate>2022-09-05</bpmn:timeDate>"), known_roles=ROLES) == []
    cases = {
        "no orgKinds": (timer_xml(kinds=None), "timer start event needs the property orgKinds"),
        "duration": (
            timer_xml("<bpmn:timeDuration>P1D</bpmn:timeDuration>"),
            "timer start event timeDuration 'P1D' is not an ISO-8601 date or repeating interval",
        ),
        "cycle without a start": (
            timer_xml("<bpmn:timeCycle>R/P1Y</bpmn:timeCycle>"),
            "timer start event timeCycle 'R/P1Y' needs a start date",
        ),
        "an expression": (
            timer_xml("<bpmn:timeCycle>start_date</bpmn:timeCycle>"),
            "timer start event timeCycle 'start_date' is not an ISO-8601 date",
        ),
    }
    for name, (xml, fragment) in cases.items():
        problems = validate_definition(xml, known_roles=ROLES)
        found = [p for p in problems if p.element_id == "every_year" and fragment in p.message]
        assert found, (name, problems)
        assert found[0].name == "Mỗi năm"
        assert not vietnamese(found[0].message).startswith("Sơ đồ có lỗi"), found[0].message  # has its text


def test_an_instance_started_at_its_cycle_timer_runs_once_and_waits_on_nothing():
    runtime = Runtime()
    definition = DefinitionRecord(1, "yearly", 1, "Yearly", timer_xml(), [], {}, "test")
    live = runtime.new(definition)
    fire_timer_start(live.workflow, "every_year")
    result = runtime.advance(live, lambda call: {})
    assert [r.bpmn_id for r in result.ready] == ["review"]
    assert result.timers == {}  # the cycle does not stay waiting in the instance (it would run again each year)
    (other,) = [t for t in live.workflow.get_tasks() if t.task_spec.bpmn_id == "by_message"]
    assert other.state == TaskState.CANCELLED  # the other start events no longer wait
    live.task(result.ready[0].guid).run()
    assert runtime.advance(live, lambda call: {}).completed


def test_started_by_message_or_by_hand_an_instance_never_waits_on_a_timer_start():
    runtime = Runtime()
    both = DefinitionRecord(1, "yearly", 1, "Yearly", timer_xml(), ["kick"], {}, "test")
    live = runtime.new(both)
    without_timer_starts(live.workflow)
    runtime.start_with_message(live, "kick", {"a": 1})
    result = runtime.advance(live, lambda call: {})
    assert [r.bpmn_id for r in result.ready] == ["review"] and result.timers == {}
    (timer,) = [t for t in live.workflow.get_tasks() if t.task_spec.bpmn_id == "every_year"]
    assert timer.state == TaskState.CANCELLED

    only_timer = timer_xml().decode()
    for fragment in (
        '<bpmn:startEvent id="by_message"><bpmn:messageEventDefinition messageRef="m_kick"/></bpmn:startEvent>',
        '<bpmn:sequenceFlow id="f0" sourceRef="by_message" targetRef="review"/>',
    ):
        only_timer = only_timer.replace(fragment, "")
    live = runtime.new(DefinitionRecord(2, "yearly", 2, "Yearly", only_timer.encode(), [], {}, "test"))
    without_timer_starts(live.workflow)  # by hand: at its timer start, at once, and once (not once per past year)
    result = runtime.advance(live, lambda call: {})
    assert [r.bpmn_id for r in result.ready] == ["review"] and result.timers == {}


# --- call activities to another file ------------------------------------------------------------------------
def test_a_call_to_another_file_deploys_only_when_that_process_is_deployed():
    problems = validate_definition(parent_xml("nobody"), known_roles=ROLES, deployed=lambda pid: False)
    assert [(p.element_id, p.name, p.message) for p in problems] == [
        ("ask_child", "Hỏi con", "calls process 'nobody', which is not in this file nor deployed")
    ]
    assert vietnamese(problems[0].message) == "Gọi quy trình 'nobody' không có trong tệp này và chưa được triển khai."
    assert validate_definition(parent_xml(), known_roles=ROLES, deployed=lambda pid: pid == "child_review") == []
    # without a list of deployed processes there is nothing to check against: refused
    unchecked = validate_definition(parent_xml(), known_roles=ROLES)
    assert [(p.element_id, p.message) for p in unchecked] == [
        ("ask_child", "calls process 'child_review', which is not in this file nor deployed")
    ]


class Versions:
    """Deployed versions by process id, as the store keeps them; `resolve` is what Cascade gives the runtime."""

    def __init__(self):
        self.by_id: dict[int, DefinitionRecord] = {}

    def deploy(self, pid: str, xml: bytes) -> DefinitionRecord:
        version = 1 + sum(d.process_key == pid for d in self.by_id.values())
        record = DefinitionRecord(len(self.by_id) + 1, pid, version, pid, xml, [], {}, "test")
        self.by_id[record.id] = record
        return record

    def resolve(self, pid: str, pinned: int | None) -> DefinitionRecord | None:
        if pinned:
            return self.by_id[pinned]
        return max((d for d in self.by_id.values() if d.process_key == pid), key=lambda d: d.version, default=None)


def run_and_reload(runtime, versions, definition, live, rows):
    result = runtime.advance(live, lambda call: {})
    rows.apply(runtime.codec.changes(live.workflow, live.snapshot))
    return result, runtime.load(definition, rows.stored(), versions.resolve)


def test_a_call_activity_runs_the_latest_version_at_call_time_pinned_for_the_instance():
    runtime, versions, rows = Runtime(), Versions(), RowStore()
    child_v1 = versions.deploy("child_review", child_xml(factor=2))
    parent = versions.deploy("parent", parent_xml())
    spec, subs = runtime.specs(parent)
    assert external_calls(spec, subs) == {"child_review"}

    live = runtime.new(parent, versions.resolve)
    result, live = run_and_reload(runtime, versions, parent, live, rows)
    assert [r.bpmn_id for r in result.ready] == ["child_check"]  # inside the called process
    assert live.workflow.data[PINS] == {"child_review": child_v1.id}

    versions.deploy("child_review", child_xml(factor=10))  # v2 deployed while the call runs
    task = live.task(result.ready[0].guid)
    task.run()
    result, live = run_and_reload(runtime, versions, parent, live, rows)
    assert [r.bpmn_id for r in result.ready] == ["confirm"]
    data = result.ready[0].data
    assert (data["amount"], data["doubled"], data["result"]) == (5, 10, 11)  # data in and back out, v1's factor

    fresh = runtime.new(parent, versions.resolve)  # a new instance calls the version deployed latest
    result = runtime.advance(fresh, lambda call: {})
    fresh.task(result.ready[0].guid).run()
    result = runtime.advance(fresh, lambda call: {})
    assert result.ready[0].data["doubled"] == 50
    assert fresh.workflow.data[PINS] == {"child_review": child_v1.id + 2}
