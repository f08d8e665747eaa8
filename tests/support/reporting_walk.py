"""A whole reporting period for every seeded school, over the JSON API: most on time, some late, one
returned and resubmitted, one extended; the compiled figures equal the sums of the accepted reports; the
office edits, approves and numbers the compiled report …/BC-PGDĐT. Shared by the reporting and export tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from engine.core.clock import VN_TZ, clock
from engine.reporting import services as reporting_services
from models import db
from models.document import Document
from models.org import User
from models.report import ReportCompilation, ReportingRegime, ReportPeriod, ReportSubmission
from tests.conftest import IsolatedClient
from tests.support.walk import open_task
from tests.web.test_api import token_for
from web.deps import cascade, store


@dataclass
class FullPeriod:
    period_id: int
    compilation_id: int
    document_id: int  # the compiled report …/BC-PGDĐT
    schools: list[int]
    expected_values: dict[int, dict]  # school id → the values it reported (every school but the missing one)
    late: list[int]  # the three schools past the deadline (two report late, one never)
    missing: list[int]
    returned: int
    extended: int


def people(school_id: int) -> dict[str, str]:
    out = {}
    for user in db.session.scalars(select(User).where(User.org_id == school_id)):
        for role in user.roles:
            out.setdefault(role, user.username)
    return out


def figures_for(index: int) -> dict:
    """Distinct, checkable numbers per school."""
    return {
        "a_plan_issued": True,
        "a_antt_team": index % 2 == 0,
        "b_sessions": 2 + index % 5,
        "b_participants_students": 100 + index,
        "b_participants_staff": 10 + index % 7,
        "b_participants_parents": index % 11,
        "c_models_active": 1 + index % 3,
        "d_traffic_violations": index % 4,
        "d_fights": int(index % 3 == 0),
        "d_school_violence": 0,
        "d_drug_cases": 0,
        "d_child_abuse": 0,
        "d_injuries": index % 2,
        "d_students_disciplined": index % 5,
        "e_joint_activities_police": 1,
        "e_parent_meetings": 2,
        "e_inspections": index % 2,
        "tinh_hinh": f"Tình hình ổn định ({index}).",
    }


def run_full_period(app) -> FullPeriod:
    """The whole period of the module docstring, with its checks; call it inside `app.app_context()`."""
    regime = db.session.scalars(select(ReportingRegime).where(ReportingRegime.frequency == "quarterly")).one()
    clock.freeze(datetime(2022, 9, 15, 8, 0, tzinfo=VN_TZ))  # the day after the Q3 cut-off (14/9)
    period_id = reporting_services.open_period(cascade(), store(), token_actor("pgddt.cttt"), regime.id, 2022, 3)
    cascade().deliver_messages(store())
    period = db.session.get(ReportPeriod, period_id)
    assert (period.start, period.end, period.school_due) == (
        date(2022, 6, 15),
        date(2022, 9, 14),
        date(2022, 9, 16),
    )
    submissions = db.session.scalars(
        select(ReportSubmission).where(ReportSubmission.period_id == period_id).order_by(ReportSubmission.school_id)
    ).all()
    schools = [s.school_id for s in submissions]
    assert len(schools) >= 55
    client = IsolatedClient(app)
    cttt = token_for("pgddt.cttt")
    expected_values, late, returned, extended = {}, set(schools[-3:]), schools[0], schools[1]

    def submit(school_id: int, index: int):
        who = people(school_id)
        staff, principal = token_for(who["staff"]), token_for(who["principal"])
        task = open_task("fill_report", instance_id=instance_of(period_id, school_id))
        values = figures_for(index)
        for bpmn_id, token, data in (
            ("fill_report", staff, values),
            ("principal_sign", principal, {"hieu_truong_duyet": "approve"}),
        ):
            task = open_task(bpmn_id, instance_id=instance_of(period_id, school_id))
            response = client.post(f"/api/tasks/{task.id}/complete", headers=token, json=data)
            assert response.status_code == 200, response.get_json()
        expected_values[school_id] = values

    def review(school_id: int, outcome: str):
        task = open_task("review_report", instance_id=instance_of(period_id, school_id))
        assert (
            client.post(
                f"/api/tasks/{task.id}/complete",
                headers=cttt,
                json={"ket_qua_xem_xet": outcome, "y_kien_phong": "Bổ sung số liệu."},
            ).status_code
            == 200
        )

    # the extended school asks on the due date; CTTT grants two more working days
    clock.freeze(datetime(2022, 9, 16, 9, 0, tzinfo=VN_TZ))
    reporting_services.request_extension(
        cascade(),
        store(),
        token_actor(people(extended)["principal"]),
        period_id,
        date(2022, 9, 20),
        "Chờ số liệu của Công an phường",
    )
    task = open_task("decide_extension", instance_id=instance_of(period_id, extended))
    assert (
        client.post(
            f"/api/tasks/{task.id}/complete", headers=cttt, json={"gia_han": "grant", "han_moi": "20/09/2022"}
        ).status_code
        == 200
    )
    assert open_task("fill_report", instance_id=instance_of(period_id, extended)).due_at == datetime(
        2022, 9, 20, 17, 0, tzinfo=VN_TZ
    )

    for index, school_id in enumerate(schools):
        if school_id not in late and school_id != extended:
            submit(school_id, index)
    review(returned, "return")  # returned once, resubmitted, then accepted
    submit(returned, schools.index(returned))
    for school_id in schools:
        if school_id not in late and school_id != extended:
            review(school_id, "accept")

    # the deadline passes: the late schools are chased, then their principal and the office's leaders
    clock.freeze(datetime(2022, 9, 16, 17, 1, 30, tzinfo=VN_TZ))
    cascade().fire_due_timers(store())
    clock.freeze(datetime(2022, 9, 20, 10, 0, tzinfo=VN_TZ))  # the extended school, within its new deadline
    submit(extended, schools.index(extended))
    review(extended, "accept")
    clock.freeze(datetime(2022, 9, 20, 17, 1, tzinfo=VN_TZ))  # two working days late
    cascade().fire_due_timers(store())
    from models.incident import Notification

    leader = db.session.scalars(select(User).where(User.username == "pgddt.truongphong")).one()
    chased = list(db.session.scalars(select(Notification).where(Notification.user_id == leader.id)))
    # one grouped notification ("3 trường: chưa nộp báo cáo …") naming each late school on its own line; the
    # extended school is not chased: its new deadline held
    assert len(chased) == 1 and chased[0].title.startswith(f"{len(late)} trường: ")
    assert len(chased[0].body.splitlines()) == len(late)
    clock.freeze(datetime(2022, 9, 20, 18, 0, tzinfo=VN_TZ))
    for school_id in sorted(late)[:2]:  # two of three late schools report after the deadline
        submit(school_id, schools.index(school_id))
        review(school_id, "accept")
    cascade().deliver_messages(store())
    clock.freeze(datetime(2022, 9, 21, 8, 0, 1, tzinfo=VN_TZ))
    cascade().fire_due_timers(store())  # the office compiles with what it has; one school is missing

    db.session.expire_all()
    compilation = db.session.scalars(select(ReportCompilation).where(ReportCompilation.period_id == period_id)).one()
    figures = compilation.figures
    numeric = [f for f, _ in compilation.fields]
    for field in numeric:
        assert figures["totals"][field] == sum(int(v.get(field) or 0) for v in expected_values.values()), field
    missing = set(schools) - set(expected_values)
    assert len(missing) == 1
    subs = {
        s.school_id: s
        for s in db.session.scalars(select(ReportSubmission).where(ReportSubmission.period_id == period_id))
    }
    on_time = [s for s in subs.values() if s.status == "accepted" and s.on_time]
    assert len(figures["on_time"]) == len(on_time) == len(schools) - 3
    assert len(figures["late"]) == 2 and subs[extended].on_time and subs[returned].returns == 1
    assert figures["on_time_rate"] == round(100 * len(on_time) / len(schools), 1)
    by_level_total = sum(level["b_sessions"] for level in figures["by_level"].values())
    assert by_level_total == figures["totals"]["b_sessions"]

    # the office edits the prefilled report, the deputy approves, VT numbers it …/BC-PGDĐT and sends it up
    edit = open_task("edit_compilation", "cp-pgddt")
    shown = client.get(f"/api/tasks/{edit.id}", headers=cttt).get_json()
    assert shown["name"].startswith("Hoàn thiện")
    report_instance = edit.instance_id
    from models.workflow import ProcessInstance

    data = prefilled(report_instance)
    assert "tỷ lệ đúng hạn" in data["noi_dung"]
    for bpmn_id, user, payload in (
        (
            "edit_compilation",
            "pgddt.cttt",
            {"trich_yeu": data["trich_yeu"], "noi_dung": data["noi_dung"], "noi_nhan": data["noi_nhan"]},
        ),
        ("approve_compilation", "pgddt.pho", {"quyet_dinh": "approve"}),
        ("register_report", "pgddt.vanthu", {"noi_nhan": data["noi_nhan"]}),
    ):
        task = open_task(bpmn_id, instance_id=report_instance)
        response = client.post(f"/api/tasks/{task.id}/complete", headers=token_for(user), json=payload)
        assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    compilation = db.session.get(ReportCompilation, compilation.id)
    report = db.session.get(Document, compilation.document_id)
    assert report.symbol.endswith("/BC-PGDĐT") and report.signing_mode == "KT"
    assert {r.org.code for r in report.recipients if r.purpose == "bao_cao"} == {"qn-sgddt", "cp-ubnd"}
    assert db.session.get(ProcessInstance, report_instance).status == "completed"
    return FullPeriod(
        period_id=period_id,
        compilation_id=compilation.id,
        document_id=report.id,
        schools=schools,
        expected_values=expected_values,
        late=sorted(late),
        missing=sorted(missing),
        returned=returned,
        extended=extended,
    )


def instance_of(period_id: int, school_id: int) -> int:
    db.session.expire_all()
    return db.session.scalars(
        select(ReportSubmission.instance_id).where(
            ReportSubmission.period_id == period_id, ReportSubmission.school_id == school_id
        )
    ).one()


def prefilled(instance_id: int) -> dict:
    from web.deps import store as make_store

    s = make_store()
    live = cascade().load_instance(s, s.instance(instance_id))
    task = next(t for t in live.workflow.get_tasks() if t.task_spec.bpmn_id == "edit_compilation" and t.state == 16)
    return dict(task.data)


def token_actor(username: str):
    from web.deps import actor_for

    return actor_for(db.session.scalars(select(User).where(User.username == username)).one())
