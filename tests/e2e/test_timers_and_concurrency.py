"""Timers fire from the worker on the engine clock; messages wait in the outbox until delivered; two people
completing one task at once: exactly one wins, the other gets a clear 409, nothing is done twice."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import func, select

from engine.core.clock import VN_TZ, clock
from models import db
from models.workflow import HumanTask, Message, ProcessInstance, Timer
from tests.conftest import IsolatedClient
from tests.support.walk import open_task, org
from tests.web.test_api import token_for
from web.deps import cascade, store


def issue_to(app, schools, due="2022-08-05"):
    """Phòng GDĐT issues a plan to these schools over the API; returns the office's instance id."""
    client = IsolatedClient(app)
    cttt, deputy, clerk = token_for("pgddt.cttt"), token_for("pgddt.pho"), token_for("pgddt.vanthu")
    instance_id = client.post("/api/processes/directive_plan/instances", headers=cttt, json={}).get_json()["id"]
    recipients = [{"org_id": s.id, "purpose": "thuc_hien"} for s in schools]
    draft = {"trich_yeu": "Kế hoạch", "noi_dung": "…", "han_nop": due, "noi_nhan": recipients}
    for bpmn_id, token, data in (
        ("draft_plan", cttt, draft),
        ("approve_plan", deputy, {"quyet_dinh": "approve"}),
        ("register_plan", clerk, {"noi_nhan": recipients}),
    ):
        task = open_task(bpmn_id, instance_id=instance_id)
        assert client.post(f"/api/tasks/{task.id}/complete", headers=token, json=data).status_code == 200
    return client, instance_id


def test_follow_up_deadline_fires_the_chase_task_and_closes_when_all_have_filed(app):
    with app.app_context():
        schools = [org("cp-s-thcs-suoi-khoang"), org("cp-s-mn-cam-son")]
        client, instance_id = issue_to(app, schools)
        timer = db.session.scalars(select(Timer).where(Timer.instance_id == instance_id)).one()
        due = datetime(2022, 8, 5, 17, 0, tzinfo=VN_TZ)
        assert timer.due_at == due and timer.bpmn_id == "deadline_passed"

        clock.freeze(due - timedelta(seconds=1))
        assert cascade().fire_due_timers(store()) == 0
        clock.freeze(due + timedelta(milliseconds=200))
        assert cascade().fire_due_timers(store()) == 1
        chase = open_task("chase_late", instance_id=instance_id)
        assert chase.candidates[0].role == "specialist"
        assert cascade().fire_due_timers(store()) == 0  # fires exactly once

        # both schools file; the follow-up ends and the pending chase task is withdrawn
        cttt = token_for("pgddt.cttt")
        for school in schools:
            people = {u.username.rsplit(".", 1)[1]: token_for(u.username) for u in school_users(school)}
            for bpmn_id, token, data in (
                ("draft_school_plan", people["gv"], {"trich_yeu": "KH trường", "noi_dung": "…"}),
                ("principal_approval", people["ht"], {"hieu_truong_duyet": "approve"}),
                ("office_review", cttt, {"ket_qua_xem_xet": "accept"}),
            ):
                task = open_task(bpmn_id, school.code)
                response = client.post(f"/api/tasks/{task.id}/complete", headers=token, json=data)
                assert response.status_code == 200, response.get_json()
        db.session.expire_all()
        assert db.session.get(ProcessInstance, instance_id).status == "completed"
        assert db.session.get(HumanTask, chase.id).status == "cancelled"


def school_users(school):
    from models.org import User

    return db.session.scalars(select(User).where(User.org_id == school.id)).all()


def test_undeliverable_message_stays_in_the_outbox_and_is_retried(app):
    with app.app_context():
        from engine.core.ports import NewMessage

        s = store()
        s.add_message(
            NewMessage(
                name="implement_directive",
                payload={"directive_id": None},
                source_instance_id=None,
                target_org_id=org("cp-pgddt-cttt").id,
            )
        )
        s.commit()  # a section serves no process: nothing can start there
        assert cascade().deliver_messages(store()) == 0
        message = db.session.scalars(select(Message)).one()
        db.session.refresh(message)
        assert message.status == "pending" and message.attempts == 1 and "no process starts" in message.error
        for _ in range(5):
            cascade().deliver_messages(store())
        db.session.refresh(message)
        assert message.status == "failed" and message.attempts == 5


def test_one_bad_message_in_a_batch_does_not_hold_back_the_others(app):
    """Messages are delivered in batches, one transaction each; a batch with a message that cannot be
    delivered is rolled back and retried one message at a time: the others are delivered exactly once."""
    from engine.core.ports import NewMessage
    from models.org import Organisation

    with app.app_context():
        schools = db.session.scalars(
            select(Organisation).where(Organisation.kind == "school").order_by(Organisation.id).limit(3)
        ).all()

        def to(org_id):
            return NewMessage(
                name="implement_directive",
                payload={"directive_id": None, "sender_org_id": None},
                source_instance_id=None,
                target_org_id=org_id,
            )

        s = store()
        good_first, bad, *good_rest = s.add_messages(
            [to(schools[0].id), to(org("cp-pgddt-cttt").id), to(schools[1].id), to(schools[2].id)]
        )
        s.commit()
        assert cascade().deliver_messages(store()) == 3
        db.session.rollback()
        for school in schools:
            started = db.session.scalar(
                select(func.count()).select_from(ProcessInstance).where(ProcessInstance.org_id == school.id)
            )
            assert started == 1, school.code
        messages = {m.id: m for m in db.session.scalars(select(Message))}
        assert messages[bad].status == "pending" and messages[bad].attempts == 1
        assert "no process starts" in messages[bad].error
        for good in [good_first, *good_rest]:
            assert messages[good].status == "delivered" and messages[good].attempts == 1
            assert messages[good].target_instance_id is not None


def test_two_people_completing_one_task_at_once(app):
    with app.app_context():
        client, instance_id = issue_to(app, [org("cp-s-thcs-suoi-khoang")])
        task_id = open_task("draft_school_plan", "cp-s-thcs-suoi-khoang").id
        staff = [u for u in school_users(org("cp-s-thcs-suoi-khoang")) if "staff" in u.roles][0]
        tokens = [token_for(staff.username), token_for(staff.username)]
        barrier = threading.Barrier(2)
        results = []

        def complete(token):
            with app.app_context():
                c = IsolatedClient(app)
                barrier.wait()
                r = c.post(f"/api/tasks/{task_id}/complete", headers=token, json={"trich_yeu": "KH", "noi_dung": "…"})
                results.append(r.status_code)

        threads = [threading.Thread(target=complete, args=(t,)) for t in tokens]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(results) == [200, 409]
        approvals = db.session.scalar(
            select(func.count()).select_from(HumanTask).where(HumanTask.bpmn_id == "principal_approval")
        )
        assert approvals == 1
