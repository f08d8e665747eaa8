"""When a step fails it becomes an operations failure ("Lỗi vận hành") an administrator can see and retry — never a
bare 500, never a hung worker. On SQLite and PostgreSQL:

- a script that fails when an instance starts: the person gets a clear answer naming the step (page and API), nothing
  is kept, and the failure is on record;
- a timer whose step fails is retried with back-off, then parked with a failure; other instances' timers keep firing
  meanwhile; the administrator fixes the diagram, deploys, migrates the instance and retries: the instance finishes;
- ids and versions past what the database holds answer 404, never 500."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from engine.core.clock import VN_TZ, clock
from engine.core.migration import migrate_instances
from engine.core.ports import Actor
from engine.core.registry import Feature
from models import db
from models.ops import OperationFailure
from models.roles import ROLES
from models.workflow import AuditEvent, ProcessDefinition, ProcessInstance, Timer
from tests.conftest import IsolatedClient, reset_dynamic
from tests.support.reporting_walk import token_actor
from tests.web.test_api import token_for
from web.deps import cascade, store

START = datetime(2022, 9, 12, 9, 0, tzinfo=VN_TZ)


def diagram(process_id: str, script: str, *, timer: bool) -> bytes:
    """start → [user task "Kiểm tra" with an interrupting 1-hour timer →] script "Tính toán" → end."""
    if timer:
        body = f"""
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="check" name="Kiểm tra | Check" camunda:candidateGroups="specialist">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f_done</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="late" name="Quá hạn | Late" attachedToRef="check">
      <bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:scriptTask id="compute" name="Tính toán | Compute"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming><bpmn:incoming>f_done</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check"/>
    <bpmn:sequenceFlow id="f2" sourceRef="late" targetRef="compute"/>
    <bpmn:sequenceFlow id="f3" sourceRef="compute" targetRef="end"/>
    <bpmn:sequenceFlow id="f_done" sourceRef="check" targetRef="end"/>"""
    else:
        body = f"""
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="compute" name="Tính toán | Compute"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="check" name="Kiểm tra | Check" camunda:candidateGroups="specialist">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="compute"/>
    <bpmn:sequenceFlow id="f2" sourceRef="compute" targetRef="check"/>
    <bpmn:sequenceFlow id="f3" sourceRef="check" targetRef="end"/>"""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d_{process_id}" targetNamespace="http://cascade.test">
  <bpmn:process id="{process_id}" name="Thử lỗi | Failure probe" isExecutable="true">{body}
  </bpmn:process>
</bpmn:definitions>""".encode()


def deploy(xml: bytes):
    (record,) = cascade().deploy(store(), Actor.system(), xml, source="test", known_roles=set(ROLES))
    return record


def cleanup(*keys: str) -> None:
    """The probe processes go with their instances (the next test's reset removes everything else)."""
    db.session.rollback()
    reset_dynamic()
    db.session.execute(db.delete(ProcessDefinition).where(ProcessDefinition.process_key.in_(keys)))
    db.session.commit()


def test_a_failing_script_at_start_names_the_step_keeps_nothing_and_is_on_record(app, browser):
    with app.app_context():
        deploy(diagram("probe_start", "x = remove_this_var + 1", timer=False))
        try:
            before = db.session.scalar(select(func.count()).select_from(ProcessInstance))
            api = IsolatedClient(app)
            response = api.post(
                "/api/processes/probe_start/instances",
                json={},
                headers=token_for("pgddt.cttt"),
            )
            assert response.status_code == 422, response.get_data(as_text=True)
            body = response.get_json()
            assert body["element"] == "compute" and body["element_name"] == "Tính toán | Compute"
            assert "NameError" in body["reason"] and "remove_this_var" in body["reason"]
            assert "không thực hiện được" in body["message_vi"]

            page = browser("pgddt.cttt")
            token = page.csrf("/processes/start")
            answer = page.client.post("/processes/start", data={"csrf_token": token, "process_key": "probe_start"})
            assert answer.status_code == 422
            text = answer.get_data(as_text=True)
            assert "Tính toán" in text and "compute" in text and "NameError" in text and "Lỗi vận hành" in text

            db.session.expire_all()
            assert db.session.scalar(select(func.count()).select_from(ProcessInstance)) == before
            recorded = db.session.scalars(select(OperationFailure).where(OperationFailure.kind == "request")).all()
            assert len(recorded) >= 1 and recorded[0].element_id == "compute"
            assert recorded[0].process_key == "probe_start" and "remove_this_var" in recorded[0].error
        finally:
            cleanup("probe_start")


def test_a_failing_timer_is_retried_then_parked_and_an_administrator_fixes_and_retries(app, browser):
    with app.app_context():
        clock.freeze(START)
        deploy(diagram("probe_timer", "x = 1 / 0", timer=True))
        try:
            cttt = token_actor("pgddt.cttt")
            failing = cascade().start_process(store(), cttt, "probe_timer")
            clock.freeze(START + timedelta(minutes=10))
            healthy_v = deploy(diagram("probe_ok", "x = 1", timer=True))
            healthy = cascade().start_process(store(), cttt, "probe_ok")
            assert healthy_v.version == 1

            clock.freeze(START + timedelta(hours=2))
            assert cascade().fire_due_timers(store()) == 1  # the healthy one fired; the failing one is retried later
            db.session.expire_all()
            assert db.session.get(ProcessInstance, healthy).status == "completed"
            timer = db.session.scalars(select(Timer).where(Timer.instance_id == failing)).one()
            assert timer.attempts == 1 and not timer.parked and "ZeroDivisionError" in timer.last_error
            assert timer.due_at > clock.now()  # back-off

            for minutes in (4, 8, 16, 32):
                clock.freeze(START + timedelta(hours=2, minutes=minutes))
                cascade().fire_due_timers(store())
            db.session.expire_all()
            timer = db.session.scalars(select(Timer).where(Timer.instance_id == failing)).one()
            assert timer.parked and timer.attempts == 4
            failure = db.session.scalars(select(OperationFailure).where(OperationFailure.kind == "timer")).one()
            assert (failure.instance_id, failure.element_id, failure.status) == (failing, "compute", "open")
            admin = browser("admin")
            assert "Lỗi vận hành" in admin.get("/").get_data(as_text=True)  # the count in the header
            page = admin.get(f"/instances/{failing}").get_data(as_text=True)
            assert 'id="instance-failures"' in page and "ZeroDivisionError" in page
            assert admin.get(f"/instances/{failing}/diagram.json").get_json()["elements"]["compute"] == "failed"
            assert 'id="instance-failures"' not in browser("pgddt.cttt").get(f"/instances/{failing}").get_data(
                as_text=True
            )
            assert failure.process_key == "probe_timer" and failure.version == 1
            clock.freeze(START + timedelta(hours=5))
            assert cascade().fire_due_timers(store()) == 0  # parked: no worker retries it on its own

            # the administrator fixes the diagram, deploys v2 and moves the instance to it: the step runs on the way
            deploy(diagram("probe_timer", "x = 1 / 1", timer=True))
            moved = migrate_instances(cascade(), store(), Actor.system(), "probe_timer", [failing])
            assert moved.migrated == [failing], moved
            db.session.expire_all()
            assert db.session.get(ProcessInstance, failing).status == "completed"
            listing = admin.get("/ops/failures").get_data(as_text=True)
            assert f'id="failure-{failure.id}"' in listing and "ZeroDivisionError" in listing
            token = admin.csrf("/ops/failures")
            assert admin.client.post(f"/ops/failures/{failure.id}/retry", data={"csrf_token": token}).status_code == 303
            db.session.expire_all()
            assert db.session.get(OperationFailure, failure.id).status == "resolved"  # nothing left to run
        finally:
            clock.freeze(START)
            cleanup("probe_timer", "probe_ok")


def test_a_step_may_not_grow_an_instance_by_more_than_a_megabyte(app):
    with app.app_context():
        deploy(diagram("probe_big", "a = 'x' * 900000\nb = 'y' * 900000", timer=False))
        try:
            response = IsolatedClient(app).post(
                "/api/processes/probe_big/instances", json={}, headers=token_for("pgddt.cttt")
            )
            assert response.status_code == 422
            body = response.get_json()
            assert body["element"] == "compute" and "quá lớn" in body["reason"]
        finally:
            cleanup("probe_big")


FLAKY = {"failing": True}


def flaky_diagram() -> bytes:
    """The timer diagram whose step after the timer is a service task calling `flaky`."""
    service = (
        '<bpmn:serviceTask id="compute" name="Gửi sang hệ thống khác | Send on">'
        '<bpmn:extensionElements><camunda:properties><camunda:property name="service" value="probe_flaky"/>'
        "</camunda:properties></bpmn:extensionElements>"
    )
    xml = diagram("probe_flaky", "x = 1", timer=True).replace(
        '<bpmn:scriptTask id="compute" name="Tính toán | Compute">'.encode(), service.encode()
    )
    return xml.replace(b"<bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>", b"</bpmn:serviceTask>")


def flaky(engine, store, instance, call) -> dict:
    """A service that fails until its outside cause is fixed (as a mail server or another system would)."""
    if FLAKY["failing"]:
        raise ConnectionError("the other system does not answer")
    return {"sent": True}


def test_a_parked_timer_retried_by_the_administrator_runs_once_its_cause_is_fixed(app, browser):
    with app.app_context():
        if "probe_flaky" not in cascade().registry.services:
            cascade().register(Feature(name="probe", services={"probe_flaky": flaky}))
        clock.freeze(START)
        deploy(flaky_diagram())
        FLAKY["failing"] = True
        try:
            failing = cascade().start_process(store(), token_actor("pgddt.cttt"), "probe_flaky")
            for minutes in (0, 2, 4, 8):
                clock.freeze(START + timedelta(hours=2, minutes=minutes))
                assert cascade().fire_due_timers(store()) == 0
            failure = db.session.scalars(select(OperationFailure).where(OperationFailure.kind == "timer")).one()
            assert "ConnectionError" in failure.error and failure.element_id == "compute"
            FLAKY["failing"] = False  # the other system is back
            admin = browser("admin")
            token = admin.csrf("/ops/failures")
            assert admin.client.post(f"/ops/failures/{failure.id}/retry", data={"csrf_token": token}).status_code == 303
            assert cascade().fire_due_timers(store()) == 1
            db.session.expire_all()
            assert db.session.get(ProcessInstance, failing).status == "completed"
            assert db.session.get(OperationFailure, failure.id).status == "retried"
        finally:
            FLAKY["failing"] = True
            clock.freeze(START)
            cleanup("probe_flaky")


def test_an_administrator_skips_a_service_step_that_keeps_failing_but_not_a_script(app, browser):
    with app.app_context():
        if "probe_flaky" not in cascade().registry.services:
            cascade().register(Feature(name="probe", services={"probe_flaky": flaky}))
        clock.freeze(START)
        deploy(flaky_diagram())
        deploy(diagram("probe_script", "x = 1 / 0", timer=True))
        FLAKY["failing"] = True
        try:
            cttt = token_actor("pgddt.cttt")
            service, script = (cascade().start_process(store(), cttt, key) for key in ("probe_flaky", "probe_script"))
            for minutes in (0, 2, 4, 8):
                clock.freeze(START + timedelta(hours=2, minutes=minutes))
                cascade().fire_due_timers(store())
            failures = {f.instance_id: f for f in db.session.scalars(select(OperationFailure))}
            admin = browser("admin")
            token = admin.csrf("/ops/failures")
            refused = admin.client.post(f"/ops/failures/{failures[script].id}/skip", data={"csrf_token": token})
            assert refused.status_code == 409 and "tác vụ dịch vụ" in refused.get_data(as_text=True)
            skipped = admin.client.post(f"/ops/failures/{failures[service].id}/skip", data={"csrf_token": token})
            assert skipped.status_code == 303
            db.session.expire_all()
            assert db.session.get(ProcessInstance, service).status == "completed"
            assert db.session.get(OperationFailure, failures[service].id).status == "skipped"
            assert db.session.get(ProcessInstance, script).status == "running"
            audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "step.skip")).one()
            assert audit.instance_id == service and audit.detail["element"] == "compute"
        finally:
            clock.freeze(START)
            cleanup("probe_flaky", "probe_script")


def test_a_parked_instance_can_be_cancelled_by_an_administrator(app, browser):
    with app.app_context():
        clock.freeze(START)
        deploy(diagram("probe_cancel", "x = 1 / 0", timer=True))
        try:
            failing = cascade().start_process(store(), token_actor("pgddt.cttt"), "probe_cancel")
            for minutes in (0, 2, 4, 8):
                clock.freeze(START + timedelta(hours=2, minutes=minutes))
                cascade().fire_due_timers(store())
            failure = db.session.scalars(select(OperationFailure).where(OperationFailure.kind == "timer")).one()
            admin = browser("admin")
            token = admin.csrf("/ops/failures")
            refused = browser("pgddt.cttt").client.post(f"/ops/failures/{failure.id}/cancel", data={})
            assert refused.status_code in (400, 403)
            answer = admin.client.post(
                f"/ops/failures/{failure.id}/cancel", data={"csrf_token": token, "reason": "sơ đồ sai"}
            )
            assert answer.status_code == 303
            db.session.expire_all()
            assert db.session.get(ProcessInstance, failing).status == "cancelled"
            assert db.session.get(OperationFailure, failure.id).status == "cancelled"
            assert db.session.scalars(select(Timer).where(Timer.instance_id == failing)).all() == []
        finally:
            clock.freeze(START)
            cleanup("probe_cancel")


def test_ids_and_versions_past_the_database_answer_404(app, browser):
    with app.app_context():
        admin = browser("admin")
        api = IsolatedClient(app)
        auth = token_for("pgddt.cttt")
        huge = "99999999999999999999"
        assert admin.get(f"/tasks/{huge}").status_code == 404
        assert admin.get(f"/instances/{huge}").status_code == 404
        assert api.get(f"/api/instances/{huge}", headers=auth).status_code == 404
        assert api.get(f"/api/tasks/{huge}", headers=auth).status_code == 404
        for query in (f"?version={'9' * 40}", "?version=-1", "?version=abc"):
            assert admin.get(f"/modeller/school_plan/source.bpmn{query}").status_code in (200, 404)
            assert admin.get(f"/modeller/school_plan/migrate{query}").status_code in (200, 404)
