"""Moving running instances to a new version: the diff between versions, the preview (who can move and why
not) and the confirmed, audited batch migration (engine/core/migration.py over the real store)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from engine.core.diff import diff_definitions
from engine.core.migration import migrate_instances, preview_migration
from engine.core.ports import Actor, NewMessage
from models import db
from models.org import User
from models.workflow import AuditEvent, HumanTask, ProcessInstance
from seed.data import ROLES
from tests.support.walk import open_task, org, user
from web.deps import actor_for, cascade, store

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
SCHOOL_A = "cp-s-thcs-suoi-khoang"
SCHOOL_B = "cp-s-mn-hoa-hong"


def school_plan_xml(**changes: str) -> bytes:
    """workflows/school_plan.bpmn with text replacements (old → new)."""
    text = (WORKFLOWS / "school_plan.bpmn").read_text(encoding="utf-8")
    for old, new in changes.items():
        assert old in text, old
        text = text.replace(old, new)
    return text.encode()


V2_CHANGES = {
    'camunda:candidateGroups="staff"': 'camunda:candidateGroups="principal"',  # draft_school_plan
    'camunda:dueDate="P2D"': 'camunda:dueDate="P5D"',  # principal_approval
}


def start_school_plan(school_code: str) -> int:
    """Start a school's plan as Phòng GDĐT's plan would (the router delivers `implement_directive`)."""
    s = store()
    pgddt = org("cp-pgddt")
    s.add_message(
        NewMessage(
            name="implement_directive",
            payload={
                "directive_id": None,
                "directive_symbol": "811/KH-PGDĐT",
                "sender_org_id": pgddt.id,
                "purpose": "thuc_hien",
                "response_due": None,
            },
            source_instance_id=None,
            target_org_id=org(school_code).id,
        )
    )
    s.commit()
    assert cascade().deliver_messages(store()) == 1
    return db.session.scalars(
        select(ProcessInstance.id)
        .where(ProcessInstance.org_id == org(school_code).id, ProcessInstance.process_key == "school_plan")
        .order_by(ProcessInstance.id.desc())
    ).first()


def admin_actor() -> Actor:
    return actor_for(user("admin"))


def deploy_v2(xml: bytes | None = None):
    return cascade().deploy(
        store(), admin_actor(), xml or school_plan_xml(**V2_CHANGES), source="modeller", known_roles=set(ROLES)
    )[0]


def complete_task(username: str, bpmn_id: str, instance_id: int, values: dict) -> None:
    task = open_task(bpmn_id, instance_id=instance_id)
    cascade().complete_task(store(), actor_for(user(username)), task.id, values)


def test_diff_names_added_removed_and_changed_elements():
    old = (WORKFLOWS / "school_plan.bpmn").read_bytes()
    new = school_plan_xml(
        **V2_CHANGES,
        **{
            '<bpmn:sequenceFlow id="f_end" sourceRef="report_filed" targetRef="filed"/>': (
                '<bpmn:sequenceFlow id="f_end" sourceRef="report_filed" targetRef="thanks"/>'
                '<bpmn:task id="thanks" name="Cảm ơn | Thanks"/>'
                '<bpmn:sequenceFlow id="f_thanks" sourceRef="thanks" targetRef="filed"/>'
            ),
            '<bpmn:endEvent id="abandoned" name="Dừng: quá số lần trả lại | Stopped: too many returns">': (
                '<bpmn:endEvent id="abandoned2" name="Dừng | Stopped">'
            ),
        },
    )
    diff = diff_definitions(old, new)
    assert {e.element_id for e in diff.added} == {"thanks", "f_thanks", "abandoned2"}
    assert {e.element_id for e in diff.removed} == {"abandoned"}
    changed = {e.element_id: e for e in diff.changed}
    assert set(changed) == {"draft_school_plan", "principal_approval", "f_end"}
    assert ("@camunda:candidateGroups", "staff", "principal") in changed["draft_school_plan"].changes
    assert ("@camunda:dueDate", "P2D", "P5D") in changed["principal_approval"].changes
    assert ("@targetRef", "filed", "thanks") in changed["f_end"].changes
    # the diagram (layout) is not a change of the process
    assert diff_definitions(old, old).empty


def test_preview_lists_who_can_move_and_why_not_then_migrates(app):
    with app.app_context():
        waiting = start_school_plan(SCHOOL_A)  # at draft_school_plan (unchanged state: ready)
        past = start_school_plan(SCHOOL_B)  # the draft is done: a completed task changed in v2
        complete_task("mn-hoahong.gv", "draft_school_plan", past, {"trich_yeu": "KH", "noi_dung": "…"})
        v1 = db.session.get(ProcessInstance, waiting).definition
        v2 = deploy_v2()
        assert v2.version == v1.version + 1

        target, checks = preview_migration(cascade(), store(), "school_plan")
        assert target.version == v2.version
        by_id = {c.instance_id: c for c in checks}
        assert set(by_id) == {waiting, past}
        assert by_id[waiting].can_migrate and by_id[waiting].reasons == []
        assert not by_id[past].can_migrate
        reason = by_id[past].reasons[0]
        assert (reason.kind, reason.element_id) == ("completed_changed", "draft_school_plan")
        assert "extensions" in reason.detail

        result = migrate_instances(cascade(), store(), admin_actor(), "school_plan", [waiting, past])
        assert result.migrated == [waiting]
        assert [r.kind for r in result.refused[past]] == ["completed_changed"]
        db.session.expire_all()
        assert db.session.get(ProcessInstance, waiting).definition_id == v2.id
        assert db.session.get(ProcessInstance, past).definition_id == v1.id
        # the open task now follows v2: offered to the principal, no longer to staff
        task = open_task("draft_school_plan", instance_id=waiting)
        assert [c.role for c in task.candidates] == ["principal"]
        audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "instance.migrate")).all()
        assert [(a.instance_id, a.detail["from_version"], a.detail["to_version"]) for a in audit] == [
            (waiting, v1.version, v2.version)
        ]
        batch = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "definition.migrate")).one()
        assert batch.detail["migrated"] == [waiting] and batch.detail["refused"] == [past]

        # the migrated instance runs on v2: the principal drafts, and the approval's new deadline (P5D) applies
        complete_task("thcs-suoikhoang.ht", "draft_school_plan", waiting, {"trich_yeu": "KH", "noi_dung": "…"})
        approval = open_task("principal_approval", instance_id=waiting)
        assert (approval.due_at - approval.created_at).days == 7  # P5D: five working days from Fri 29/07 is Fri 05/08
        # the one left on v1 carries on under v1 (P2D)
        complete_task("mn-hoahong.ht", "principal_approval", past, {"hieu_truong_duyet": "approve"})
        assert db.session.scalars(
            select(HumanTask).where(HumanTask.instance_id == past, HumanTask.bpmn_id == "office_review")
        ).one()


def test_a_new_instance_starts_on_the_latest_version(app):
    with app.app_context():
        before = start_school_plan(SCHOOL_A)
        v2 = deploy_v2()
        after = start_school_plan(SCHOOL_B)
        assert db.session.get(ProcessInstance, after).definition_id == v2.id
        assert db.session.get(ProcessInstance, before).definition_id != v2.id
        assert [c.role for c in open_task("draft_school_plan", instance_id=after).candidates] == ["principal"]
        assert [c.role for c in open_task("draft_school_plan", instance_id=before).candidates] == ["staff"]


def test_a_migrated_instance_keeps_its_waiting_timers(app, browser):
    """Escalation timers already running on the task stay due when they were due, not restarted by the move."""
    from datetime import datetime, timedelta

    from engine.core.clock import VN_TZ, clock
    from models.workflow import Timer
    from tests.support.walk import complete
    from tests.web.test_incidents import SCHOOL, fire_like_the_worker, raise_incident

    clock.freeze(datetime(2022, 9, 12, 9, 0, tzinfo=VN_TZ))
    with app.app_context():
        _, incident_id = raise_incident(browser, "thcs-suoikhoang.gv")
        complete(
            browser("thcs-suoikhoang.ht"),
            open_task("confirm_incident", SCHOOL),
            {"xac_nhan": "confirm", "muc_do": "serious"},
        )
        confirmed_at = clock.now()
        instance_id = open_task("acknowledge_incident", SCHOOL).instance_id
        text = (WORKFLOWS / "incident.bpmn").read_text(encoding="utf-8")
        old = 'camunda:candidateGroups="specialist@parent" camunda:dueDate="PT1H"'
        assert text.count(old) == 1
        v2 = deploy_v2(
            text.replace(
                old, 'camunda:candidateGroups="specialist@parent,leader@parent" camunda:dueDate="PT1H"'
            ).encode()
        )

        clock.advance(timedelta(minutes=30))
        _, checks = preview_migration(cascade(), store(), "incident")
        assert [(c.instance_id, c.can_migrate) for c in checks] == [(instance_id, True)], checks
        result = migrate_instances(cascade(), store(), admin_actor(), "incident", [instance_id])
        assert result.migrated == [instance_id], result.refused
        db.session.expire_all()
        assert db.session.get(ProcessInstance, instance_id).definition_id == v2.id
        timers = {t.bpmn_id: t.due_at for t in db.session.scalars(select(Timer).where(Timer.fired.is_(False)))}
        assert timers["escalate_office"] == confirmed_at + timedelta(hours=2)
        assert timers["escalate_city"] == confirmed_at + timedelta(hours=4)
        task = open_task("acknowledge_incident", SCHOOL)
        assert sorted(c.role for c in task.candidates) == ["leader", "specialist"]
        assert task.due_at == confirmed_at + timedelta(hours=1)  # counted from when the task was given
        assert fire_like_the_worker("escalate_office") <= 1.0  # and it still fires on time


def test_a_person_named_on_a_task_finds_it_in_their_inbox_and_may_do_it(app):
    """camunda:candidateUsers: the named person sees the task in their inbox and completes it; a claim by
    someone else takes it out of the "unclaimed" view."""
    from web import queries

    with app.app_context():
        deploy_v2(
            school_plan_xml(
                **{
                    'camunda:candidateGroups="staff"': (
                        'camunda:candidateGroups="principal" camunda:candidateUsers="bcd.chuyenvien"'
                    )
                }
            )
        )
        instance_id = start_school_plan(SCHOOL_A)
        task = open_task("draft_school_plan", instance_id=instance_id)
        named = actor_for(user("bcd.chuyenvien"))  # of the steering committee: no role at the school
        assert task.id in [t.id for t in queries.inbox(named)]
        assert task.id in [t.id for t in queries.inbox(named, scope="unclaimed")]
        outsider = actor_for(user("bcd.pho"))
        assert task.id not in [t.id for t in queries.inbox(outsider)]
        principal = next(
            u for u in db.session.scalars(select(User).where(User.org_id == org(SCHOOL_A).id)) if "principal" in u.roles
        )
        cascade().claim(store(), actor_for(principal), task.id)
        assert task.id not in [t.id for t in queries.inbox(named, scope="unclaimed")]
        assert task.id in [t.id for t in queries.inbox(named)]  # still offered to them, claimed by another
        cascade().unclaim(store(), actor_for(principal), task.id)
        cascade().complete_task(store(), named, task.id, {"trich_yeu": "Kế hoạch của trường", "noi_dung": "Nội dung"})
        assert task.id not in [t.id for t in queries.inbox(named)]
