"""The reporting pages: the dashboard shows a late school as late and its cell opens its report; a school
asks for an extension from its report page; only administrators edit holidays."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from engine.core.clock import VN_TZ, clock
from engine.reporting import services as reporting_services
from models import db
from models.report import Holiday, ReportingRegime, ReportSubmission
from tests.conftest import IsolatedClient
from tests.e2e.test_reporting import figures_for, instance_of, people, token_actor
from tests.support.walk import open_task
from tests.web.test_api import token_for
from web.deps import cascade, store


def open_q3(app):
    regime = db.session.scalars(select(ReportingRegime).where(ReportingRegime.frequency == "quarterly")).one()
    clock.freeze(datetime(2022, 9, 15, 8, 0, tzinfo=VN_TZ))
    period_id = reporting_services.open_period(cascade(), store(), token_actor("pgddt.cttt"), regime.id, 2022, 3)
    cascade().deliver_messages(store())
    return period_id


def file_report(app, period_id: int, school_id: int):
    client = IsolatedClient(app)
    who = people(school_id)
    for bpmn_id, user, data in (
        ("fill_report", who["staff"], figures_for(3)),
        ("principal_sign", who["principal"], {"hieu_truong_duyet": "approve"}),
        ("review_report", "pgddt.cttt", {"ket_qua_xem_xet": "accept"}),
    ):
        task = open_task(bpmn_id, instance_id=instance_of(period_id, school_id))
        assert client.post(f"/api/tasks/{task.id}/complete", headers=token_for(user), json=data).status_code == 200


def test_dashboard_marks_the_late_school_and_opens_its_report(app, browser):
    with app.app_context():
        period_id = open_q3(app)
        subs = db.session.scalars(
            select(ReportSubmission).where(ReportSubmission.period_id == period_id).order_by(ReportSubmission.school_id)
        ).all()
        on_time, late = subs[0], subs[1]
        file_report(app, period_id, on_time.school_id)
        clock.freeze(datetime(2022, 9, 19, 9, 0, tzinfo=VN_TZ))  # after the 16/9 deadline
        file_report(app, period_id, late.school_id)
        page = browser("pgddt.cttt").get("/reports").get_data(as_text=True)
        assert f'class="cell late" data-school="{late.school.code}"' in page
        assert f'class="cell on_time" data-school="{on_time.school.code}"' in page
        assert page.count('class="cell missing"') == len(subs) - 2
        assert browser(people(late.school_id)["principal"]).get("/reports").status_code == 302
        other = people(subs[2].school_id)["principal"]
        assert browser(other).get(f"/reports/submissions/{late.id}").status_code == 404


def test_school_asks_for_an_extension_from_its_report_page(app, browser):
    with app.app_context():
        period_id = open_q3(app)
        sub = db.session.scalars(select(ReportSubmission).where(ReportSubmission.period_id == period_id)).first()
        principal = browser(people(sub.school_id)["principal"])
        bad = principal.post_form(f"/reports/submissions/{sub.id}", {"until": "01/01/2020", "reason": ""})
        assert bad.status_code == 422
        ok = principal.post_form(f"/reports/submissions/{sub.id}", {"until": "21/09/2022", "reason": "Chờ số liệu"})
        assert ok.status_code == 303
        task = open_task("decide_extension", instance_id=instance_of(period_id, sub.school_id))
        assert task.candidates[0].role == "specialist"


def test_only_administrators_edit_holidays(app, browser):
    with app.app_context():
        assert browser("pgddt.cttt").get("/reports/holidays").status_code == 403
        admin = browser("admin")
        assert (
            admin.post_form("/reports/holidays", {"day": "02/01/2023", "name": "Nghỉ bù Tết Dương lịch"}).status_code
            == 303
        )
        db.session.expire_all()
        assert db.session.get(Holiday, datetime(2023, 1, 2).date()).name == "Nghỉ bù Tết Dương lịch"
        assert admin.post_form("/reports/holidays", {"day": "xx", "name": ""}).status_code == 422


def test_office_opens_a_period_from_the_dashboard_once(app, browser):
    with app.app_context():
        regime = db.session.scalars(select(ReportingRegime).where(ReportingRegime.frequency == "quarterly")).one()
        clock.freeze(datetime(2022, 9, 15, 8, 0, tzinfo=VN_TZ))
        cttt = browser("pgddt.cttt")
        form = {"regime": str(regime.id), "year": "2022", "index": "3"}
        opened = cttt.post_form("/reports/open", form, form_page="/reports")
        assert opened.status_code == 303 and "/reports/periods/" in opened.headers["Location"]
        again = cttt.post_form("/reports/open", form, form_page="/reports")
        assert again.status_code == 303 and again.headers["Location"].endswith(f"/reports?regime={regime.id}")
        subs = db.session.scalars(select(ReportSubmission)).all()
        assert len({s.period_id for s in subs}) == 1 and all(s.instance_id for s in subs)
        school = browser(people(subs[0].school_id)["staff"])
        assert school.get("/reports/mine").status_code == 200
        assert school.get(opened.headers["Location"]).status_code == 302  # a school sees its own report


def test_administrators_remove_a_holiday(app, browser):
    with app.app_context():
        admin = browser("admin")
        admin.post_form("/reports/holidays", {"day": "03/01/2023", "name": "Nghỉ bù"})
        assert admin.post_form("/reports/holidays", {"delete": "03/01/2023"}).status_code == 303
        db.session.expire_all()
        assert db.session.get(Holiday, datetime(2023, 1, 3).date()) is None
