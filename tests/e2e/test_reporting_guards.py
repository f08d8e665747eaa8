"""Issue 20: a stale report task (a duplicate instance, a cancelled one) cannot change an accepted report;
reminders go out once per due event; the school hears of the office's decisions with its comment."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from engine.core.clock import VN_TZ, clock
from engine.core.errors import TaskAlreadyCompletedError
from engine.core.runtime import ServiceCall
from engine.reporting import services as reporting_services
from engine.reporting import steps
from engine.reporting.rules import ACCEPTED, CLOSED, NOT_LINKED, NOT_RUNNING, UNDER_REVIEW, stale_reason
from models import db
from models.incident import Notification
from models.org import User
from models.report import ReportSubmission
from models.store import SqlStore
from models.workflow import HumanTask, Message, ProcessInstance
from tests.conftest import IsolatedClient
from tests.e2e.test_reporting import figures_for, instance_of, people, token_actor
from tests.support.walk import open_task
from tests.web.test_api import token_for
from tests.web.test_reports_web import open_q3
from web.deps import cascade, store


def first_school(period_id: int) -> int:
    return db.session.scalars(
        select(ReportSubmission.school_id).where(ReportSubmission.period_id == period_id).order_by(ReportSubmission.id)
    ).first()


def submission(period_id: int, school_id: int) -> ReportSubmission:
    db.session.expire_all()
    return db.session.scalars(
        select(ReportSubmission).where(ReportSubmission.period_id == period_id, ReportSubmission.school_id == school_id)
    ).one()


def duplicate_instance(school_id: int) -> int:
    """A second report instance for the same school and period, started as a duplicate delivery would."""
    message = db.session.scalars(
        select(Message).where(Message.name == "report_period_opened", Message.target_org_id == school_id)
    ).one()
    s = store()
    definition = s.latest_definition("school_report")
    instance_id = cascade().start_instance(
        s,
        definition,
        school_id,
        message.name,
        dict(message.payload),
        started_by=None,
        title="Báo cáo định kỳ (trùng)",
        directive_id=None,
        sender_org_id=message.payload["sender_org_id"],
        parent_instance_id=message.source_instance_id,
    )
    s.commit()
    return instance_id


def complete(client, bpmn_id: str, user: str, data: dict, instance_id: int):
    task = open_task(bpmn_id, instance_id=instance_id)
    return client.post(f"/api/tasks/{task.id}/complete", headers=token_for(user), json=data)


def file_and_accept(client, school_id: int, instance_id: int, values: dict) -> None:
    who = people(school_id)
    for bpmn_id, user, data in (
        ("fill_report", who["staff"], values),
        ("principal_sign", who["principal"], {"hieu_truong_duyet": "approve"}),
        ("review_report", "pgddt.cttt", {"ket_qua_xem_xet": "accept"}),
    ):
        assert complete(client, bpmn_id, user, data, instance_id).status_code == 200


def notifications(username: str, contains: str = "") -> list[Notification]:
    user = db.session.scalars(select(User).where(User.username == username)).one()
    rows = db.session.scalars(select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))
    return [n for n in rows if contains in n.title]


def test_a_stale_duplicate_task_cannot_change_an_accepted_report(app):
    with app.app_context():
        period_id = open_q3(app)
        school_id = first_school(period_id)
        first = instance_of(period_id, school_id)
        stale = duplicate_instance(school_id)
        assert instance_of(period_id, school_id) == first  # the report stays with the first instance
        assert db.session.scalar(
            select(HumanTask.id).where(HumanTask.instance_id == stale, HumanTask.bpmn_id == "fill_report")
        )
        client = IsolatedClient(app)
        accepted_values = figures_for(5) | {"b_sessions": 5, "b_participants_students": 700}
        file_and_accept(client, school_id, first, accepted_values)
        before = submission(period_id, school_id)
        assert before.status == "accepted" and before.values["b_sessions"] == 5
        snapshot = (before.status, dict(before.values), before.accepted_at, before.instance_id)

        overwrite = figures_for(5) | {"b_sessions": 99, "b_participants_students": 9999}
        staff = people(school_id)["staff"]
        response = complete(client, "fill_report", staff, overwrite, stale)
        assert response.status_code == 409
        task = open_task("fill_report", instance_id=stale)
        with pytest.raises(TaskAlreadyCompletedError) as refused:
            cascade().complete_task(store(), token_actor(staff), task.id, overwrite)
        store().rollback()
        assert str(refused.value) == ACCEPTED
        after = submission(period_id, school_id)
        assert (after.status, dict(after.values), after.accepted_at, after.instance_id) == snapshot


def test_a_stale_signature_cannot_resubmit_an_accepted_report(app):
    """The duplicate got as far as the principal's signature before the first instance's report was accepted."""
    with app.app_context():
        period_id = open_q3(app)
        school_id = first_school(period_id)
        first, stale = instance_of(period_id, school_id), duplicate_instance(school_id)
        client = IsolatedClient(app)
        who = people(school_id)
        assert complete(client, "fill_report", who["staff"], figures_for(99), stale).status_code == 200
        file_and_accept(client, school_id, first, figures_for(5))
        response = complete(client, "principal_sign", who["principal"], {"hieu_truong_duyet": "approve"}, stale)
        assert response.status_code == 409
        after = submission(period_id, school_id)
        assert after.status == "accepted" and after.values["b_sessions"] == figures_for(5)["b_sessions"]
        assert after.instance_id == first


def test_a_task_of_a_cancelled_instance_cannot_be_completed(app):
    with app.app_context():
        period_id = open_q3(app)
        school_id = first_school(period_id)
        instance_id = instance_of(period_id, school_id)
        db.session.get(ProcessInstance, instance_id).status = "cancelled"  # as a cancel that left its task open
        db.session.commit()
        task = open_task("fill_report", instance_id=instance_id)
        with pytest.raises(TaskAlreadyCompletedError):  # the core refuses it; the report's own guard would too
            cascade().complete_task(store(), token_actor(people(school_id)["staff"]), task.id, figures_for(1))
        store().rollback()
        assert submission(period_id, school_id).status == "pending"


def test_the_guard_rules():
    base = {"period_closed": False, "instance_running": True, "linked_instance_id": 1, "instance_id": 1}
    assert stale_reason(status="pending", step="fill", **base) is None
    assert stale_reason(status="accepted", step="fill", **base) == ACCEPTED
    assert stale_reason(status="pending", step="fill", **(base | {"instance_running": False})) == NOT_RUNNING
    assert stale_reason(status="returned", step="submit", **(base | {"period_closed": True})) == CLOSED
    other = base | {"linked_instance_id": 2}
    assert stale_reason(status="submitted", step="submit", **other) == UNDER_REVIEW
    assert stale_reason(status="returned", step="submit", **other) is None  # the report moves to this instance
    assert stale_reason(status="submitted", step="review", **other) == NOT_LINKED


def test_one_reminder_per_due_event_even_when_it_runs_twice(app):
    with app.app_context():
        period_id = open_q3(app)
        school_id = first_school(period_id)
        duplicate_instance(school_id)  # two instances' timers for one school's report
        who = people(school_id)
        s = SqlStore()
        for _ in range(2):
            clock.freeze(datetime(2022, 9, 15, 8, 1, tzinfo=VN_TZ))  # the day before the deadline
            cascade().fire_due_timers(s)
            clock.freeze(datetime(2022, 9, 16, 17, 2, tzinfo=VN_TZ))  # the deadline has passed
            cascade().fire_due_timers(s)
        assert len(notifications(who["staff"], "Nhắc hạn")) == 1
        assert len(notifications(who["staff"], "Đôn đốc")) == 1
        assert len(notifications(who["principal"], "Đôn đốc")) == 1

        # the handler itself, run again for the same due event (a retried step, a replaced instance)
        instance = s.instance(instance_of(period_id, school_id))
        opened = db.session.scalars(
            select(Message.payload).where(Message.name == "report_period_opened", Message.target_org_id == school_id)
        ).one()
        call = ServiceCall(
            "x",
            "chase_school",
            "chase",
            {"targets": "staff@self,principal@self", "title": "Đôn đốc {period}"},
            {"report_period_opened": opened},
        )
        steps.chase(cascade(), s, instance, call)
        s.commit()
        assert len(notifications(who["staff"], "Đôn đốc")) == 1
        assert submission(period_id, school_id).notices == ["send_reminder@2022-09-16", "chase_school@2022-09-16"]


def test_the_school_hears_of_extensions_and_returns_with_the_comment(app):
    with app.app_context():
        period_id = open_q3(app)
        schools = db.session.scalars(
            select(ReportSubmission.school_id)
            .where(ReportSubmission.period_id == period_id)
            .order_by(ReportSubmission.id)
        ).all()
        granted, refused, returned = schools[:3]
        client = IsolatedClient(app)
        clock.freeze(datetime(2022, 9, 16, 9, 0, tzinfo=VN_TZ))
        for school_id, decision in ((granted, "grant"), (refused, "refuse")):
            principal = token_actor(people(school_id)["principal"])
            reporting_services.request_extension(
                cascade(), store(), principal, period_id, date(2022, 9, 20), "Chờ số liệu của Công an phường"
            )
            data = {"gia_han": decision, "han_moi": "20/09/2022", "y_kien_gia_han": f"Ý kiến {decision}: nộp sớm."}
            assert (
                complete(client, "decide_extension", "pgddt.cttt", data, instance_of(period_id, school_id)).status_code
                == 200
            )
        who = people(returned)
        instance_id = instance_of(period_id, returned)
        assert complete(client, "fill_report", who["staff"], figures_for(2), instance_id).status_code == 200
        assert (
            complete(
                client, "principal_sign", who["principal"], {"hieu_truong_duyet": "approve"}, instance_id
            ).status_code
            == 200
        )
        review = {"ket_qua_xem_xet": "return", "y_kien_phong": "Bổ sung số liệu mục D."}
        assert complete(client, "review_report", "pgddt.cttt", review, instance_id).status_code == 200

        for role in ("staff", "principal"):
            yes = notifications(people(granted)[role], "đồng ý gia hạn")
            assert [n.title for n in yes] == ["Phòng GDĐT đồng ý gia hạn báo cáo Quý 3/2022 đến ngày 20/09/2022"]
            assert "Ý kiến grant: nộp sớm." in yes[0].body
            no = notifications(people(refused)[role], "không đồng ý gia hạn")
            assert len(no) == 1 and "hạn nộp vẫn là 16/09/2022" in no[0].title and "Ý kiến refuse" in no[0].body
            back = notifications(people(returned)[role], "trả lại")
            assert len(back) == 1 and back[0].body == "Ý kiến của Phòng GDĐT: Bổ sung số liệu mục D."
            assert back[0].url == f"/reports/submissions/{submission(period_id, returned).id}"
        assert submission(period_id, granted).extended_until == date(2022, 9, 20)
        assert submission(period_id, returned).status == "returned"
