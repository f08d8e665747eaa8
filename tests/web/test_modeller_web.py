"""The modeller's pages and endpoints: admins only; every validation rule and every hostile file refused on
deploy (and on draft save / upload) with a clear message naming the element, and nothing stored; drafts,
uploads of files from other tools, downloads, the diff page, the migration pages and the instance diagram."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import db
from models.modeller import ProcessDraft
from models.workflow import AuditEvent, ProcessDefinition, ProcessInstance
from tests.conftest import IN_CI
from tests.web.test_modeller_migration import (
    SCHOOL_A,
    SCHOOL_B,
    V2_CHANGES,
    complete_task,
    school_plan_xml,
    start_school_plan,
)
from web.modeller import lint

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
SAMPLES = Path("/work/shared/bpmn-samples/miwg")


class Admin:
    """An admin session posting JSON with the CSRF token in the X-CSRFToken header, as the modeller does."""

    def __init__(self, browser, username: str = "admin"):
        self.b = browser(username)
        self.token = self.b.csrf("/modeller/")

    def post_json(self, path: str, xml: bytes | str, **extra):
        text = xml.decode() if isinstance(xml, bytes) else xml
        return self.b.client.post(path, json={"xml": text, **extra}, headers={"X-CSRFToken": self.token})

    def upload(self, content: bytes, filename: str = "upload.bpmn"):
        import io

        return self.b.client.post(
            "/modeller/upload",
            data={"csrf_token": self.token, "file": (io.BytesIO(content), filename)},
            content_type="multipart/form-data",
        )


def stored() -> tuple[int, int]:
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count()).select_from(ProcessDefinition)),
        db.session.scalar(select(func.count()).select_from(ProcessDraft)),
    )


def forget_uploads() -> None:
    """Drafts, and definitions of processes that are not Cascade's workflows (uploaded by a test)."""
    db.session.rollback()
    db.session.execute(db.delete(ProcessDraft))
    shipped = [p.stem for p in WORKFLOWS.glob("*.bpmn")]
    db.session.execute(db.delete(ProcessDefinition).where(ProcessDefinition.process_key.not_in(shipped)))
    db.session.commit()


@pytest.fixture
def admin(app, browser):
    with app.app_context():
        forget_uploads()
        yield Admin(browser)
        forget_uploads()


# Outside CI a machine without node_modules skips these; in CI they run and fail if set-up did not install them.
needs_lint = pytest.mark.skipif(
    not IN_CI and not lint.available(), reason="node_modules not installed (scripts/setup.sh)"
)

# Each deploy-time rule of the issue: (replacements in school_plan.bpmn, element named, message fragment)
RULES = {
    "bpmnlint": (
        {
            '<bpmn:sequenceFlow id="f_accepted" sourceRef="plan_cycle" targetRef="gw_accepted"/>': (
                '<bpmn:sequenceFlow id="f_accepted" sourceRef="plan_cycle" targetRef="gw_accepted"/>'
                '<bpmn:intermediateThrowEvent id="lonely" name="Không nối | Not connected"/>'
            )
        },
        "lonely",
        "bpmnlint: no-disconnected",
    ),
    "the engine parses it": (
        {
            '<bpmn:serviceTask id="issue_document"': (
                '<bpmn:callActivity calledElement="missing_process" id="issue_document"'
            ),
            "</bpmn:serviceTask>": "</bpmn:callActivity>",
        },
        "issue_document",
        "calls process 'missing_process', which is not in this file",
    ),
    "unknown role": (
        {'camunda:candidateGroups="principal"': 'camunda:candidateGroups="hieu_pho"'},
        "principal_approval",
        "unknown role 'hieu_pho'",
    ),
    "form not well-formed": (
        {'(thousand VND)" type="long"': '(thousand VND)" type="money"'},
        "draft_school_plan",
        "unknown type 'money'",
    ),
    "expression does not compile": (
        {'== "approve"</bpmn:conditionExpression>': "==</bpmn:conditionExpression>"},
        "f_principal_ok",
        "condition does not compile",
    ),
    "timer does not compile": (
        {'camunda:dueDate="P2D"': 'camunda:dueDate="(P2D"'},
        "principal_approval",
        "dueDate does not compile",
    ),
    "message thrown without a catcher": (
        {'name="plan_filed"/>': 'name="plan_submitted"/>'},
        "report_filed",
        "message 'plan_submitted' is thrown but no deployed process (nor this file) catches it",
    ),
    "construct the engine cannot run": (
        {
            '<bpmn:sequenceFlow id="f_accepted" sourceRef="plan_cycle" targetRef="gw_accepted"/>': (
                '<bpmn:sequenceFlow id="f_accepted" sourceRef="plan_cycle" targetRef="gw_accepted"/>'
                '<bpmn:boundaryEvent id="too_late" attachedToRef="plan_cycle"><bpmn:outgoing>f_late</bpmn:outgoing>'
                "<bpmn:timerEventDefinition><bpmn:timeDuration>P30D</bpmn:timeDuration></bpmn:timerEventDefinition>"
                '</bpmn:boundaryEvent><bpmn:sequenceFlow id="f_late" sourceRef="too_late" targetRef="abandoned"/>'
            )
        },
        "too_late",
        "interrupting boundary event on the looped sub-process 'plan_cycle' crashes the engine",
    ),
    "receive task": (
        {
            '<bpmn:serviceTask id="issue_document"': '<bpmn:receiveTask id="issue_document"',
            "</bpmn:serviceTask>": "</bpmn:receiveTask>",
        },
        "issue_document",
        "receive task names no message (messageRef)",
    ),
    "decision table not deployed": (
        {
            '<bpmn:serviceTask id="issue_document"': (
                '<bpmn:businessRuleTask camunda:decisionRef="bang_chua_co" id="issue_document"'
            ),
            "</bpmn:serviceTask>": "</bpmn:businessRuleTask>",
        },
        "issue_document",
        "evaluates the DMN decision 'bang_chua_co', which is not deployed",
    ),
}


@needs_lint
@pytest.mark.parametrize("rule", list(RULES))
def test_each_validation_error_is_refused_naming_its_element(app, admin, rule):
    changes, element, fragment = RULES[rule]
    xml = school_plan_xml(**changes)
    before = stored()
    for path in ("/modeller/school_plan/validate", "/modeller/school_plan/deploy"):
        response = admin.post_json(path, xml)
        assert response.status_code == 422, response.get_data(as_text=True)
        problems = response.get_json()["problems"]
        assert any(p["element"] == element and fragment in p["message_en"] for p in problems), problems
        assert all(p["message"] != p["message_en"] or "bpmnlint" in p["message"] for p in problems)  # Vietnamese
    assert stored() == before
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "definition.deploy")).first()


HOSTILE = {
    "doctype with an external entity": (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">'
        b'<bpmn:process id="school_plan" isExecutable="true"><bpmn:scriptTask id="s"><bpmn:script>&xxe;</bpmn:script>'
        b"</bpmn:scriptTask></bpmn:process></bpmn:definitions>",
        "DOCTYPE",
    ),
    "billion laughs": (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">&lol2;</bpmn:definitions>',
        "DOCTYPE",
    ),
    "over the size limit": (
        (WORKFLOWS / "school_plan.bpmn")
        .read_bytes()
        .replace(b"</bpmn:definitions>", b"<!--" + b"x" * 2_100_000 + b"-->\n</bpmn:definitions>"),
        "too large",
    ),
    "not BPMN": (
        b'<?xml version="1.0"?><html><body><script>alert(1)</script></body></html>',
        "not a BPMN 2.0 file",
    ),
    "not XML": (b"PK\x03\x04 a zip file, not XML", "not well-formed XML"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_files_are_refused_with_a_clear_message_and_nothing_stored(app, admin, case):
    content, fragment = HOSTILE[case]
    before = stored()
    for path in ("/modeller/school_plan/validate", "/modeller/school_plan/deploy", "/modeller/school_plan/draft"):
        response = admin.post_json(path, content.decode("utf-8", "replace"))
        assert response.status_code == 422, (path, response.status_code)
        body = response.get_json()
        text = body["message"] + " ".join(p.get("message_en", p["message"]) for p in body.get("problems", []))
        assert fragment in text, (path, text)
    response = admin.upload(content, "hostile.bpmn")
    assert response.status_code == 303
    page = admin.b.get("/modeller/").get_data(as_text=True)
    assert "hostile.bpmn bị từ chối" in page and fragment in page
    assert stored() == before


def test_non_admins_get_403(app, browser):
    with app.app_context():
        instance_id = start_school_plan(SCHOOL_A)
        for username in ("pgddt.cttt", "thcs-suoikhoang.ht", "pgddt.truongphong"):
            client = browser(username)
            token = client.csrf("/")
            for path in (
                "/modeller/",
                "/modeller/school_plan",
                "/modeller/school_plan/source.bpmn?version=1",
                "/modeller/school_plan/source.bpmn?version=1&download=1",
                "/modeller/school_plan/diff",
                "/modeller/school_plan/migrate",
            ):
                assert client.get(path).status_code == 403, (username, path)
            for path in (
                "/modeller/school_plan/draft",
                "/modeller/school_plan/validate",
                "/modeller/school_plan/deploy",
                "/modeller/school_plan/migrate",
                "/modeller/school_plan/draft/delete",
                "/modeller/upload",
            ):
                response = client.client.post(path, json={"xml": "<x/>"}, headers={"X-CSRFToken": token})
                assert response.status_code == 403, (username, path)
        # anonymous: to the login page
        assert browser().get("/modeller/").status_code == 302
        # the instance diagram: the school's own people see it, another school does not
        assert browser("thcs-suoikhoang.gv").get(f"/instances/{instance_id}/diagram.json").status_code == 200
        assert browser("mn-camson.ht").get(f"/instances/{instance_id}/diagram.json").status_code == 404
        assert browser("mn-camson.ht").get(f"/instances/{instance_id}/diagram.bpmn").status_code == 404


@needs_lint
def test_definitions_list_draft_deploy_diff_and_download(app, admin):
    start_school_plan(SCHOOL_A)
    page = admin.b.get("/modeller/").get_data(as_text=True)
    assert (
        'id="process-school_plan"' in page
        and "Quản trị hệ thống" not in page.split('id="process-school_plan"')[1][:200]
    )
    row = re.search(r'id="process-school_plan".*?<tr data-version="1">(.*?)</tr>', page, re.S).group(1)
    assert '<td class="running">1</td>' in row and "Hệ thống" in row

    v2 = school_plan_xml(**V2_CHANGES)
    assert admin.post_json("/modeller/school_plan/draft", v2).status_code == 200
    draft = db.session.scalars(select(ProcessDraft).where(ProcessDraft.process_key == "school_plan")).one()
    assert draft.base_version == 1 and draft.source == "modeller"
    assert admin.b.get("/modeller/school_plan").status_code == 200  # opens the draft
    assert b"principal" in admin.b.get("/modeller/school_plan/source.bpmn?draft=1").data
    diff = admin.b.get("/modeller/school_plan/diff?to=draft").get_data(as_text=True)
    assert 'data-element="draft_school_plan"' in diff and "@camunda:candidateGroups" in diff

    validated = admin.post_json("/modeller/school_plan/validate", v2)
    assert validated.status_code == 200 and validated.get_json()["problems"] == []
    deployed = admin.post_json("/modeller/school_plan/deploy", v2)
    assert deployed.status_code == 200, deployed.get_json()
    body = deployed.get_json()
    assert body["version"] == 2 and body["running_on_older"] == 1 and body["migrate_url"].endswith("/migrate")
    assert stored()[1] == 0  # the draft became v2
    latest = db.session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.process_key == "school_plan", ProcessDefinition.version == 2)
    ).one()
    assert latest.deployed_by.username == "admin" and latest.source == "modeller"

    page = admin.b.get("/modeller/").get_data(as_text=True)
    assert '<tr data-version="2">' in page
    download = admin.b.get("/modeller/school_plan/source.bpmn?version=1&download=1")
    assert download.headers["Content-Disposition"] == 'attachment; filename="school_plan-v1.bpmn"'
    assert b'loopMaximum="20"' in download.data and b"<bpmn:loopMaximum>" not in download.data  # valid BPMN 2.0
    assert b'loopMaximum="20"' in admin.b.get("/modeller/school_plan/source.bpmn?version=1").data  # for bpmn-js
    diff = admin.b.get("/modeller/school_plan/diff?from=1&to=2").get_data(as_text=True)
    assert "@camunda:dueDate" in diff and "P5D" in diff
    # renaming the process in the modeller is refused: its versions and instances hang on the id
    renamed = v2.replace(b'<bpmn:process id="school_plan"', b'<bpmn:process id="school_plan_2"')
    response = admin.post_json("/modeller/school_plan/deploy", renamed)
    assert response.status_code == 422 and "school_plan" in response.get_json()["problems"][0]["message"]


def test_migration_pages_preview_and_confirmed_batch(app, admin):
    from engine.core.ports import Actor
    from seed.data import ROLES
    from web.deps import cascade, store

    waiting = start_school_plan(SCHOOL_A)
    past = start_school_plan(SCHOOL_B)
    complete_task("mn-hoahong.gv", "draft_school_plan", past, {"trich_yeu": "KH", "noi_dung": "…"})
    cascade().deploy(store(), Actor.system(), school_plan_xml(**V2_CHANGES), source="test", known_roles=set(ROLES))

    page = admin.b.get("/modeller/school_plan/migrate").get_data(as_text=True)
    assert f'<tr data-instance="{waiting}" class="can">' in page
    assert f'<tr data-instance="{past}" class="cannot">' in page
    assert "bước đã hoàn thành Soạn kế hoạch của trường (draft_school_plan) đã thay đổi" in page
    assert f'name="instance_id" value="{past}"' not in page

    # without the confirmation box nothing moves
    response = admin.b.client.post(
        "/modeller/school_plan/migrate", data={"csrf_token": admin.token, "instance_id": [waiting], "version": 2}
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(ProcessInstance, waiting).definition.version == 1

    response = admin.b.client.post(
        "/modeller/school_plan/migrate",
        data={"csrf_token": admin.token, "instance_id": [waiting, past], "version": 2, "confirm": "yes"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(ProcessInstance, waiting).definition.version == 2
    assert db.session.get(ProcessInstance, past).definition.version == 1
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "instance.migrate")).one()
    assert audit.user.username == "admin" and audit.instance_id == waiting
    assert "không chuyển được" in admin.b.get("/modeller/school_plan/migrate").get_data(as_text=True)


def test_instance_diagram_marks_the_engine_state(app, browser):
    with app.app_context():
        waiting = start_school_plan(SCHOOL_A)
        complete_task("thcs-suoikhoang.gv", "draft_school_plan", waiting, {"trich_yeu": "KH", "noi_dung": "…"})
        client = browser("thcs-suoikhoang.ht")
        page = client.get(f"/instances/{waiting}").get_data(as_text=True)
        assert 'id="instance-diagram"' in page and "dist/viewer.js" in page
        state = client.get(f"/instances/{waiting}/diagram.json").get_json()
        assert state["elements"]["received"] == "completed"
        assert state["elements"]["draft_school_plan"] == "completed"
        assert state["elements"]["principal_approval"] == "active"
        assert state["elements"]["plan_cycle"] == "active"
        assert "Start" not in state["elements"]  # the engine's own specs are not diagram elements
        assert state["tasks"]["plan_cycle"] == state["tasks"]["principal_approval"]  # shown on the sub-process too
        task = state["tasks"]["principal_approval"][0]
        assert task["assignee"] is None and task["due"] and "Hiệu trưởng" in task["candidates"]
        xml = client.get(f"/instances/{waiting}/diagram.bpmn").data
        assert b"BPMNDiagram" in xml and b'loopMaximum="20"' in xml


@needs_lint
def test_upload_of_a_file_from_another_tool(app, admin):
    """A foreign `camunda:` namespace (Activiti) is mapped; a file without a diagram is laid out."""
    text = (WORKFLOWS / "coordination.bpmn").read_text(encoding="utf-8")
    text = re.sub(r"\s*<bpmndi:BPMNDiagram\b.*?</bpmndi:BPMNDiagram>", "", text, flags=re.S)
    text = text.replace("http://camunda.org/schema/1.0/bpmn", "http://activiti.org/bpmn")
    text = text.replace('id="coordination"', 'id="coordination_upload"')
    response = admin.upload(text.encode(), "from-activiti.bpmn")
    assert response.status_code == 303 and response.headers["Location"].endswith(
        "/modeller/coordination_upload?draft=1"
    )
    draft = db.session.scalars(select(ProcessDraft).where(ProcessDraft.process_key == "coordination_upload")).one()
    assert b"http://camunda.org/schema/1.0/bpmn" in draft.xml and b"activiti" not in draft.xml
    assert b"BPMNDiagram" in draft.xml and b'bpmnElement="coordination_upload"' in draft.xml
    assert draft.source == "upload: from-activiti.bpmn"
    page = admin.b.get("/modeller/").get_data(as_text=True)
    assert "coordination_upload" in page
    deployed = admin.post_json("/modeller/coordination_upload/deploy", draft.xml)
    assert deployed.status_code == 200, deployed.get_json()
    assert deployed.get_json()["version"] == 1


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="no MIWG samples in shared/")
def test_miwg_reference_files_upload_as_drafts(app, admin):
    """BPMN 2.0 files drawn in other tools (OMG MIWG reference models) are accepted as drafts."""
    files = sorted(SAMPLES.glob("*.bpmn"))[:5]
    assert files
    for path in files:
        response = admin.upload(path.read_bytes(), path.name)
        assert response.status_code == 303, path.name


def test_a_deploy_that_overlaps_another_waits_and_takes_the_next_version(app):
    """The race itself, made certain: the first deploy holds its transaction open while the second one runs."""
    import threading

    from sqlalchemy.orm import Session

    from models.store import SqlStore

    context = app.app_context()
    context.push()
    db.session.rollback()
    xml = school_plan_xml(**V2_CHANGES)
    first, second = Session(db.engine), Session(db.engine)
    try:
        SqlStore(first).add_definition("school_plan", "v", xml, "a" * 64, [], {}, None, "first")
        outcome = {}

        def overlap():
            try:
                outcome["record"] = SqlStore(second).add_definition(
                    "school_plan", "v", xml, "b" * 64, [], {}, None, "second"
                )
                second.commit()
            except Exception as exc:  # noqa: BLE001 - the assertion below names it
                outcome["error"] = exc

        thread = threading.Thread(target=overlap)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive(), outcome  # it waits for the first deploy instead of counting beside it
        first.commit()
        thread.join(30)
        assert "error" not in outcome, outcome
        assert outcome["record"].version == 3
    finally:
        first.close()
        second.close()
        db.session.execute(db.delete(ProcessDefinition).where(ProcessDefinition.version > 1))
        db.session.commit()
        context.pop()


def test_two_admins_deploying_at_once_get_two_versions_never_an_error(app, admin, browser):
    """Both deploys land, as consecutive versions; neither gets a 500 or a duplicate version number."""
    import threading

    other = Admin(browser, "admin")
    v2 = school_plan_xml(**V2_CHANGES)
    db.session.rollback()  # the test's own session holds no transaction while the requests write
    results, barrier = {}, threading.Barrier(2)

    def deploy(name, who):
        with app.app_context():
            barrier.wait()
            response = who.post_json("/modeller/school_plan/deploy", v2)
            results[name] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=deploy, args=(n, w)) for n, w in (("a", admin), ("b", other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(code for code, _ in results.values()) == [200, 200], results
    assert sorted(body["version"] for _, body in results.values()) == [2, 3]
    db.session.expire_all()
    versions = db.session.scalars(
        select(ProcessDefinition.version).where(ProcessDefinition.process_key == "school_plan")
    ).all()
    assert sorted(versions) == [1, 2, 3]


def test_a_version_stored_the_older_way_downloads_as_valid_bpmn(app, admin):
    """A version stored before loop limits were attributes: the download and the modeller get the schema's form,
    with the same limits (bpmn-js would otherwise drop them on save)."""
    from lxml import etree
    from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator

    from tests.engine.test_bpmn_files import child_element_form, loop_limits

    xml = child_element_form((WORKFLOWS / "school_plan.bpmn").read_bytes()).replace(
        b'id="school_plan"', b'id="old_style_plan"'
    )
    db.session.add(
        ProcessDefinition(process_key="old_style_plan", version=1, name="Old", xml=xml, sha256="0" * 64, source="old")
    )
    db.session.commit()
    for query in ("?download=1", ""):
        response = admin.b.client.get(f"/modeller/old_style_plan/source.bpmn{query}")
        assert response.status_code == 200
        assert b"<bpmn:loopMaximum>" not in response.data
        BpmnValidator().validate(etree.ElementTree(etree.fromstring(response.data)), "download.bpmn")
        assert loop_limits(response.data) == loop_limits(xml)


def test_seeding_never_deploys_over_an_administrators_version(app, admin, tmp_path):
    """`flask seed` / `flask deploy-workflows` after an administrator deployed school_plan v2 from the modeller:
    the changed file in workflows/ is not deployed over it; the command says so and v2 stays the latest."""
    from engine.core.ports import Actor
    from models.roles import ROLES
    from seed import deploy_workflows
    from web.deps import cascade, store

    shipped = (WORKFLOWS / "school_plan.bpmn").read_bytes()
    mine = shipped.replace(b'id="draft_school_plan" name="', b'id="draft_school_plan" name="(QTV) ', 1)
    assert mine != shipped
    (admin_v2,) = cascade().deploy(store(), Actor.system(), mine, source="modeller", known_roles=set(ROLES))
    newer_file = tmp_path / "school_plan.bpmn"
    newer_file.write_bytes(shipped.replace(b'id="draft_school_plan" name="', b'id="draft_school_plan" name="(new) ', 1))
    kept: list = []
    assert deploy_workflows(tmp_path, engine=cascade(), kept=kept) == []
    assert [(k.process_key, k.version, k.source) for k in kept] == [("school_plan", admin_v2.version, "modeller")]
    assert store().latest_definition("school_plan").version == admin_v2.version
    result = app.test_cli_runner().invoke(args=["deploy-workflows"])
    assert result.exit_code == 0, result.output
    assert f"kept school_plan v{admin_v2.version}" in result.output
    assert store().latest_definition("school_plan").version == admin_v2.version


def test_uploading_over_an_existing_draft_asks_first(app, admin):
    xml = school_plan_xml()
    assert admin.upload(xml, "first.bpmn").status_code == 303
    first = db.session.scalars(select(ProcessDraft).where(ProcessDraft.process_key == "school_plan")).one().source
    response = admin.upload(xml.replace(b"</bpmn:definitions>", b"<!-- v2 --></bpmn:definitions>"), "second.bpmn")
    assert response.status_code == 303 and response.headers["Location"].endswith("/modeller/")
    page = admin.b.get("/modeller/").get_data(as_text=True)
    assert "đã có bản nháp chưa triển khai" in page and "second.bpmn" in page
    db.session.expire_all()
    kept = db.session.scalars(select(ProcessDraft).where(ProcessDraft.process_key == "school_plan")).one()
    assert kept.source == first
    replaced = admin.b.client.post(
        "/modeller/upload",
        data={"csrf_token": admin.token, "replace": "1", "file": (io.BytesIO(xml), "second.bpmn")},
        content_type="multipart/form-data",
    )
    assert replaced.status_code == 303
    db.session.expire_all()
    draft = db.session.scalars(select(ProcessDraft).where(ProcessDraft.process_key == "school_plan")).one()
    assert draft.source == "upload: second.bpmn"


def test_the_modeller_validates_a_call_to_a_deployed_process_and_refuses_one_to_a_missing_process(app, admin):
    """A call activity may name a process deployed from another file (its latest version is called)."""
    from tests.engine.test_timer_starts_and_calls import parent_xml

    xml = parent_xml(called="school_plan").replace(b'id="parent"', b'id="school_plan_caller"')
    ok = admin.post_json("/modeller/school_plan_caller/validate", xml).get_json()
    assert [p for p in ok["problems"] if "school_plan" in p["message_en"]] == []  # bpmnlint's style notes aside
    missing = parent_xml(called="no_such_process").replace(b'id="parent"', b'id="school_plan_caller"')
    refused = admin.post_json("/modeller/school_plan_caller/validate", missing).get_json()
    assert any(p["element"] == "ask_child" and "no_such_process" in p["message_en"] for p in refused["problems"])
