"""Business rule tasks and DMN decision tables: workflows/incident_notices.dmn, run by the real incident.bpmn, gives
the outcome the diagram's old gateway conditions gave for every category × severity; a business rule task pins
the table version its instance first evaluated (kept across save and restore, while a new instance takes the
newest deploy); malformed, hostile or unsafe tables are refused naming the decision or the rule, in Vietnamese;
a cell's expression runs in the restricted environment."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

from engine.core.decision_tables import decision_problems, input_test, load_decision
from engine.core.decisions import DECISION_PINS
from engine.core.errors import DefinitionError
from engine.core.ports import DecisionRecord, DefinitionRecord
from engine.core.problem_text import problem_text, vietnamese
from engine.core.runtime import Runtime
from engine.core.validation import validate_definition
from engine.incidents.rules import CATEGORIES, SEVERITIES
from tests.engine.test_state import RowStore

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
TABLE = (WORKFLOWS / "incident_notices.dmn").read_bytes()
INCIDENT = (WORKFLOWS / "incident.bpmn").read_bytes()
ROLES = {"principal", "specialist", "police", "leader", "clerk"}
FIGHT_MINOR_RULE = """<rule id="rule_fight_minor">
        <description>Đánh nhau, kể cả nhẹ: báo cấp trên | Fights, even minor: report up</description>
        <inputEntry id="rule_fight_minor_loai"><text>"fight"</text></inputEntry>
        <inputEntry id="rule_fight_minor_muc_do"><text>"minor"</text></inputEntry>
        <outputEntry id="rule_fight_minor_up"><text>true</text></outputEntry>
        <outputEntry id="rule_fight_minor_child"><text>false</text></outputEntry>
      </rule>
      <rule id="rule_child_abuse_serious">"""


def with_fight_rule(xml: bytes = TABLE) -> bytes:
    """The shipped table with a first rule an office might add: a fight, even minor, is reported up."""
    text = xml.decode()
    assert text.count('<rule id="rule_child_abuse_serious">') == 1
    return text.replace('<rule id="rule_child_abuse_serious">', FIGHT_MINOR_RULE).encode()


def old_gateways(category: str, severity: str) -> tuple[bool, bool]:
    """incident.bpmn's conditions before the table: gw_serious and gw_child."""
    return severity in ("serious", "very_serious", "fatal"), category == "child_abuse"


class Deployed:
    """Deployed decision versions as the store keeps them; `source` is what Cascade attaches to a workflow."""

    def __init__(self):
        self.by_id: dict[int, DecisionRecord] = {}

    def deploy(self, xml: bytes) -> DecisionRecord:
        parsed = load_decision(xml)
        version = 1 + sum(d.decision_key == parsed.key for d in self.by_id.values())
        digest = hashlib.sha256(parsed.xml).hexdigest()
        record = DecisionRecord(len(self.by_id) + 1, parsed.key, version, parsed.name, parsed.xml, digest, "test")
        self.by_id[record.id] = record
        return record

    def source(self, key: str, pinned: int | None) -> DecisionRecord | None:
        if pinned:
            return self.by_id[pinned]
        return max((d for d in self.by_id.values() if d.decision_key == key), key=lambda d: d.version, default=None)


def incident_definition() -> DefinitionRecord:
    return DefinitionRecord(1, "incident", 1, "incident", INCIDENT, ["incident_raised"], {}, "test")


def raise_in_engine(runtime: Runtime, decisions: Deployed, category: str, severity: str, by_principal=True):
    """Start incident.bpmn as a school's incident_raised message does; (live, step result, services called)."""
    live = runtime.new(incident_definition(), None, decisions.source)
    payload = {"incident_id": 7, "category": category, "severity": severity, "by_principal": by_principal}
    runtime.start_with_message(live, "incident_raised", payload)
    called: list[str] = []
    result = runtime.advance(live, lambda call: called.append(call.bpmn_id) or {})
    return live, result, called


def outcome(result, called) -> tuple[bool, bool]:
    """What the diagram did: reported up (report_up ran, the city police got their task), told child protection."""
    ready = {r.bpmn_id for r in result.ready}
    up = "report_up" in called and "police_coordination" in ready
    child = "notify_child_protection" in called and "child_protection_intervention" in ready
    assert ("report_up" in called) == ("police_coordination" in ready)
    assert ("notify_child_protection" in called) == ("child_protection_intervention" in ready)
    return up, child


def test_the_shipped_table_gives_todays_outcome_for_every_category_and_severity():
    runtime, decisions = Runtime(), Deployed()
    decisions.deploy(TABLE)
    seen = set()
    for category in CATEGORIES:
        for severity in SEVERITIES:
            live, result, called = raise_in_engine(runtime, decisions, category, severity)
            data = next(r.data for r in result.ready if r.bpmn_id == "acknowledge_incident")  # after the table
            expected = old_gateways(category, severity)
            assert (data["bao_cap_tren"], data["bao_bao_ve_tre_em"]) == expected, (category, severity)
            assert outcome(result, called) == expected, (category, severity)
            seen.add(expected)
    assert seen == {(True, True), (True, False), (False, True), (False, False)}  # every branch was taken


def test_the_table_reads_the_severity_the_principal_confirmed():
    runtime, decisions = Runtime(), Deployed()
    decisions.deploy(TABLE)
    live, result, _ = raise_in_engine(runtime, decisions, "school_violence", "minor", by_principal=False)
    assert [r.bpmn_id for r in result.ready] == ["confirm_incident"]
    live.task(result.ready[0].guid).set_data(xac_nhan="confirm", muc_do="very_serious", ly_do="")
    live.task(result.ready[0].guid).run()
    called: list[str] = []
    result = runtime.advance(live, lambda call: called.append(call.bpmn_id) or {})
    assert outcome(result, called) == (True, False)


TWICE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://cascade.example/bpmn">
  <bpmn:process id="twice" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="first"/>
    <bpmn:businessRuleTask id="first" name="Lần đầu" camunda:decisionRef="incident_notices"/>
    <bpmn:sequenceFlow id="f2" sourceRef="first" targetRef="wait"/>
    <bpmn:userTask id="wait" camunda:candidateGroups="principal"/>
    <bpmn:sequenceFlow id="f3" sourceRef="wait" targetRef="again"/>
    <bpmn:businessRuleTask id="again" name="Lần sau" camunda:decisionRef="incident_notices"/>
    <bpmn:sequenceFlow id="f4" sourceRef="again" targetRef="done"/>
    <bpmn:userTask id="done" camunda:candidateGroups="principal"/>
    <bpmn:sequenceFlow id="f5" sourceRef="done" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


def test_an_instance_keeps_the_tables_in_force_at_its_start_though_it_evaluates_them_later():
    """An incident raised by a teacher before the office changes the table, confirmed by the principal after it,
    follows the rule in force when it was raised."""
    runtime, decisions, rows = Runtime(), Deployed(), RowStore()
    v1 = decisions.deploy(TABLE)
    live = runtime.new(incident_definition(), None, decisions.source)
    payload = {"incident_id": 7, "category": "fight", "severity": "minor", "by_principal": False}
    runtime.start_with_message(live, "incident_raised", payload)
    result = runtime.advance(live, lambda call: {})
    assert [r.bpmn_id for r in result.ready] == ["confirm_incident"]  # the table is not read yet...
    assert live.workflow.data[DECISION_PINS] == {"incident_notices": v1.id}  # ...but its version is pinned at the start
    rows.apply(runtime.codec.changes(live.workflow, live.snapshot))

    decisions.deploy(with_fight_rule())  # v2: a minor fight is reported up
    restored = runtime.load(incident_definition(), rows.stored(), None, decisions.source)
    task = restored.task(result.ready[0].guid)
    task.set_data(xac_nhan="confirm", muc_do="minor", ly_do="")
    task.run()
    called: list[str] = []
    result = runtime.advance(restored, lambda call: called.append(call.bpmn_id) or {})
    assert outcome(result, called) == (False, False)  # v1's rule: the city is not told


def test_an_instance_keeps_the_version_it_first_evaluated_across_save_and_restore():
    runtime, decisions, rows = Runtime(), Deployed(), RowStore()
    v1 = decisions.deploy(TABLE)
    definition = DefinitionRecord(2, "twice", 1, "twice", TWICE, [], {}, "test")
    running = runtime.new(definition, None, decisions.source)
    running.workflow.get_tasks()[0].data.update(loai="fight", muc_do="minor")
    result = runtime.advance(running, lambda call: {})
    assert result.ready[0].data["bao_cap_tren"] is False
    assert running.workflow.data[DECISION_PINS] == {"incident_notices": v1.id}
    rows.apply(runtime.codec.changes(running.workflow, running.snapshot))

    v2 = decisions.deploy(with_fight_rule())  # an office changes the table while the instance waits
    assert v2.version == 2
    restored = runtime.load(definition, rows.stored(), None, decisions.source)  # another process, from rows
    assert restored.workflow.data[DECISION_PINS] == {"incident_notices": v1.id}
    restored.task(result.ready[0].guid).run()
    result = runtime.advance(restored, lambda call: {})
    assert [r.bpmn_id for r in result.ready] == ["done"]
    assert result.ready[0].data["bao_cap_tren"] is False  # v1's outcome, evaluated after v2 was deployed

    fresh = runtime.new(definition, None, decisions.source)  # a new instance takes the newest deploy
    fresh.workflow.get_tasks()[0].data.update(loai="fight", muc_do="minor")
    result = runtime.advance(fresh, lambda call: {})
    assert result.ready[0].data["bao_cap_tren"] is True
    assert fresh.workflow.data[DECISION_PINS] == {"incident_notices": v2.id}


def test_deploy_refuses_a_business_rule_task_whose_decision_is_not_deployed_naming_it():
    problems = validate_definition(INCIDENT, known_roles=ROLES, decided=lambda key: False)
    assert [(p.element_id, p.name, p.message) for p in problems] == [
        (
            "decide_notices",
            "Xác định nơi cần báo | Decide whom to notify",
            "evaluates the DMN decision 'incident_notices', which is not deployed",
        )
    ]
    assert problem_text(problems[0]) == (
        "Xác định nơi cần báo | Decide whom to notify (decide_notices): Nhiệm vụ quy tắc nghiệp vụ dùng bảng "
        "quyết định DMN 'incident_notices', bảng này chưa được triển khai."
    )
    assert validate_definition(INCIDENT, known_roles=ROLES, decided={"incident_notices"}.__contains__) == []
    unnamed = INCIDENT.replace(b' camunda:decisionRef="incident_notices"', b"")
    problems = validate_definition(unnamed, known_roles=ROLES, decided=lambda key: True)
    assert [(p.element_id, vietnamese(p.message)) for p in problems] == [
        ("decide_notices", "Nhiệm vụ quy tắc nghiệp vụ không chỉ ra bảng quyết định (camunda:decisionRef).")
    ]


def test_a_decision_missing_at_run_time_fails_the_step_naming_the_task():
    runtime = Runtime()
    with pytest.raises(WorkflowTaskException, match="decision 'incident_notices' is not deployed") as caught:
        raise_in_engine(runtime, Deployed(), "fight", "minor")
    assert caught.value.task.task_spec.bpmn_id == "decide_notices"


def refused(xml: bytes) -> list[tuple[str | None, str]]:
    problems = decision_problems(xml)
    assert problems, "accepted"
    with pytest.raises(DefinitionError) as caught:
        load_decision(xml)
    assert [str(p) for p in caught.value.problems] == [str(p) for p in problems]  # deploy says what validate says
    return [(p.element_id, vietnamese(p.message)) for p in problems]


def test_hostile_xml_is_refused_like_a_bpmn_upload():
    entity = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + TABLE.split(b"?>", 1)[1]
    assert refused(entity) == [(None, "Tệp có khai báo DOCTYPE, không được phép (vì an toàn).")]
    bomb = b'<!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>' + TABLE.split(b"?>", 1)[1]
    assert refused(bomb)[0][1].startswith("Tệp có khai báo DOCTYPE")
    huge = TABLE.replace(b"<description>", b"<description>" + b"x" * 2_100_000, 1)
    assert refused(huge)[0][1].startswith("Tệp quá lớn")
    assert refused(TABLE[:-40])[0][1].startswith("Tệp không phải XML hợp lệ")
    assert refused(INCIDENT) == [(None, "Tệp không phải DMN (gốc là <definitions>).")]


def test_a_malformed_table_is_refused_naming_the_decision_or_the_rule():
    none = TABLE.replace(b"<decision ", b"<!-- ").replace(b"</decision>", b"-->")
    assert refused(none) == [(None, "Tệp DMN phải có đúng một bảng quyết định (tệp này có 0).")]
    policy = TABLE.replace(b'hitPolicy="FIRST"', b'hitPolicy="PRIORITY"')
    assert refused(policy) == [
        (
            "incident_notices",
            "Chính sách chọn quy tắc (hit policy) PRIORITY không được hỗ trợ (dùng UNIQUE, FIRST hoặc COLLECT).",
        )
    ]
    bad_cell = TABLE.replace(b'<text>"child_abuse"</text>', b'<text>"child_abuse" +</text>', 1)
    ((element, text),) = refused(bad_cell)
    assert element == "rule_child_abuse_serious" and text.startswith("Quy tắc 1: ô đầu vào '\"child_abuse\" +'")
    short = TABLE.replace(b'<outputEntry id="rule_otherwise_child">', b'<!-- x -->\n<outputEntry id="gone">', 1)
    short = short.replace(b'<outputEntry id="gone">\n          <text>false</text>\n        </outputEntry>', b"")
    mismatch = "Quy tắc 4 có 2 ô đầu vào và 1 ô đầu ra, không khớp với các cột của bảng."
    assert refused(short) == [("rule_otherwise", mismatch)]
    unnamed = TABLE.replace(b' name="bao_cap_tren"', b"")
    ((element, text),) = refused(unnamed)
    assert element == "incident_notices" and text.startswith("Đầu ra 'Báo UBND TP, Sở GDĐT, phối hợp công an")


def test_expressions_are_sandboxed():
    escape = TABLE.replace(b"<text>muc_do</text>", b'<text>__import__("os").getcwd()</text>')
    ((element, text),) = refused(escape)
    assert element == "incident_notices" and text.startswith("Đầu vào 'Mức độ | Severity': biểu thức không hợp lệ")
    in_a_rule = TABLE.replace(b"<text>true</text>", b'<text>__import__("os").system("id")</text>', 1)
    ((element, text),) = refused(in_a_rule)
    assert element == "rule_child_abuse_serious" and text.startswith("Quy tắc 1: ô đầu ra")

    assert refused(TABLE.replace(b"<text>true</text>", b'<text>open("/etc/passwd").read()</text>', 1))

    # a version stored without the deploy checks (e.g. written to the database by hand) is never evaluated
    runtime, decisions = Runtime(), Deployed()
    record = decisions.deploy(TABLE)
    decisions.by_id[record.id] = DecisionRecord(record.id, record.decision_key, 1, "x", in_a_rule, "other", "sql")
    with pytest.raises(WorkflowTaskException, match="'incident_notices' v1 cannot be evaluated") as caught:
        raise_in_engine(runtime, decisions, "child_abuse", "fatal")
    assert caught.value.task.task_spec.bpmn_id == "decide_notices"

    # a cell that compiles but fails when it runs fails the step, naming the task and the rule's row
    failing = TABLE.replace(b"<text>true</text>", b"<text>loai.no_such_attribute</text>", 1)
    decisions = Deployed()
    decisions.deploy(failing)
    with pytest.raises(WorkflowTaskException) as caught:
        raise_in_engine(runtime, decisions, "child_abuse", "fatal")
    assert caught.value.task.task_spec.bpmn_id == "decide_notices"
    assert "no_such_attribute" in str(caught.value)


def test_cells_as_dmn_js_writes_them():
    assert input_test('"serious","fatal"') == '? in ("serious","fatal")'
    assert input_test("-") is None and input_test("") is None and input_test(None) is None
    assert input_test("> 3") == "? > 3" and input_test('in ("a", "b")') == '? in ("a", "b")'
    assert input_test("true") == "True" and input_test('"minor"') == '"minor"'
