"""Every task page shows its subject (issue 13), one test per task kind: the report's figures with last period's
beside them for the principal signing and the office reviewing, the school's plan for the office accepting it,
the incident for its confirmation and reception, the draft and its rounds for the approval; a draft returned
over the API tells its drafter as the form does."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from engine.core.clock import VN_TZ, clock
from engine.documents.attachments import IncomingFile, attach_files
from engine.reporting import services as reporting_services
from models import db
from models.incident import Incident
from models.report import ReportingRegime
from tests.support.reporting_walk import figures_for, instance_of, people, token_actor
from tests.support.walk import complete, open_task, org
from tests.web.test_api import token_for
from tests.web.test_daily import SK, _issue_to_schools, _school_plan_at_office
from tests.web.test_incidents import raise_incident
from tests.web.test_notification_groups import notifications
from tests.web.test_reports_web import file_report
from tests.web.test_web import draft_form, start_office_plan
from web import queries
from web.deps import cascade, store


def test_a_draft_returned_over_the_api_tells_its_drafter(app, browser):
    with app.app_context():
        cttt, instance_id = start_office_plan(browser)
        complete(cttt, open_task("draft_plan", instance_id=instance_id), draft_form([org(SK).id]))
        approve = open_task("approve_plan", instance_id=instance_id)
        response = app.test_client().post(
            f"/api/tasks/{approve.id}/complete",
            headers=token_for("pgddt.pho"),
            json={"quyet_dinh": "return", "y_kien": "Thiếu kinh phí.\nMục II chưa rõ."},
        )
        assert response.status_code == 200, response.get_json()
        told = [n for n in notifications("pgddt.cttt") if n.title.startswith("Bị trả lại")]
        assert len(told) == 1 and "Thiếu kinh phí." in told[0].body and "Mục II" not in told[0].body
        assert told[0].url == f"/tasks/{open_task('draft_plan', instance_id=instance_id).id}"
        assert not [n for n in notifications("pgddt.pho") if n.title.startswith("Bị trả lại")]


def test_the_approval_shows_the_draft_and_its_rounds(app, browser):
    with app.app_context():
        cttt, pho, instance_id = _issue_to_schools(browser, [SK])  # drafted, returned once with a comment
        complete(cttt, open_task("draft_plan", instance_id=instance_id), draft_form([org(SK).id]))
        page = pho.get(f"/tasks/{open_task('approve_plan', instance_id=instance_id).id}").get_data(as_text=True)
        assert 'id="draft"' in page and "Kế hoạch thử nghiệm" in page
        rounds = page[page.index('id="rounds"') :]
        assert rounds.index("Trình dự thảo") < rounds.index("Bổ sung phần kinh phí.")  # newest first
        assert page.index('id="rounds"') < page.index('class="task-form"')


def _period(year: int, number: int, on: datetime) -> int:
    regime = db.session.scalars(select(ReportingRegime).where(ReportingRegime.frequency == "quarterly")).one()
    clock.freeze(on)
    period_id = reporting_services.open_period(cascade(), store(), token_actor("pgddt.cttt"), regime.id, year, number)
    cascade().deliver_messages(store())
    return period_id


def checkboxes(values: dict) -> dict:
    """Form values as a browser posts them: a ticked box is "on", an unticked one is not sent."""
    return {k: "on" if v is True else v for k, v in values.items() if v is not False}


def _row(page: str, label: str) -> list[str]:
    """The cells of the subject's figures row labelled `label`, as text."""
    row = re.search(rf"<tr><td>{re.escape(label)}</td>(.*?)</tr>", page, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_the_principal_and_the_office_see_the_figures_beside_last_period(app, browser):
    with app.app_context():
        school = org(SK).id
        q2 = _period(2022, 2, datetime(2022, 6, 15, 8, 0, tzinfo=VN_TZ))
        file_report(app, q2, school)  # figures_for(3), accepted
        q3 = _period(2022, 3, datetime(2022, 9, 15, 8, 0, tzinfo=VN_TZ))
        who = people(school)
        now = figures_for(3) | {"b_participants_students": 1250, "d_fights": 2, "a_antt_team": False}
        complete(browser(who["staff"]), open_task("fill_report", instance_id=instance_of(q3, school)), checkboxes(now))
        sign = open_task("principal_sign", instance_id=instance_of(q3, school))
        for user, task in ((who["principal"], sign), ("pgddt.cttt", None)):
            if task is None:
                complete(browser(who["principal"]), sign, {"hieu_truong_duyet": "approve"})
                task = open_task("review_report", instance_id=instance_of(q3, school))
            page = browser(user).get(f"/tasks/{task.id}").get_data(as_text=True)
            assert 'class="subject report"' in page and "Suối Khoáng" in page
            assert page.index('id="subject"') < page.index('class="task-form"')
            assert _row(page, "B. Lượt học sinh tham gia") == ["1.250", str(figures_for(3)["b_participants_students"])]
            assert _row(page, "D. Vụ đánh nhau, gây rối") == ["2", str(figures_for(3)["d_fights"])]
            assert _row(page, "A. Đã thành lập Tổ an ninh trường học") == ["Không", "Không"]
            assert _row(page, "A. Đã ban hành kế hoạch của trường") == ["Có", "Có"]
            assert "Tình hình ổn định (3)." in page


def test_the_office_accepting_a_plan_sees_the_school_its_plan_and_the_files(app, browser):
    with app.app_context():
        review = _school_plan_at_office(browser)  # drafted by the teacher, approved by the principal
        directive = queries.document(review.instance.directive_id)
        attach_files(
            store(),
            token_actor("pgddt.vanthu"),
            directive.id,
            "appendix",
            [IncomingFile("phu-luc-bieu-mau.txt", "text/plain", "Biểu mẫu kế hoạch".encode())],
        )
        cttt = browser("pgddt.cttt")
        page = cttt.get(f"/tasks/{review.id}").get_data(as_text=True)
        subject = page[page.index('class="subject plan"') : page.index('class="task-form"')]
        assert "Suối Khoáng" in subject and directive.symbol in subject
        assert "Kế hoạch của trường" in page and "Nội dung kế hoạch trường" in page and "15.000.000" in page
        link = re.search(r'href="(/documents/\d+/files/\d+)">phu-luc-bieu-mau.txt<', subject).group(1)
        assert cttt.get(link).data == "Biểu mẫu kế hoạch".encode()
        assert 'id="rounds"' in subject and "Hiệu trưởng duyệt" in subject  # the principal's approval, a round


def test_the_incident_is_on_its_confirmation_and_its_reception(app, browser):
    with app.app_context():
        raise_incident(browser, "thcs-suoikhoang.gv", occurred_at="2022-07-29T07:30")
        incident = db.session.query(Incident).order_by(Incident.id.desc()).first()
        for user, bpmn_id, values in (
            ("thcs-suoikhoang.ht", "confirm_incident", {"xac_nhan": "confirm", "muc_do": incident.severity}),
            ("pgddt.cttt", "acknowledge_incident", None),
        ):
            task = open_task(bpmn_id, instance_id=incident.instance_id)
            page = browser(user).get(f"/tasks/{task.id}").get_data(as_text=True)
            subject = page[page.index('class="subject incident"') : page.index('class="task-form"')]
            assert incident.description in subject and "Suối Khoáng" in subject and f"#{incident.id}" in subject
            assert f"/incidents/{incident.id}" in subject
            assert not re.search(r"\b(open|acknowledged|minor|serious|inside|gate)\b", re.sub(r"<[^>]+>", " ", subject))
            if values:
                complete(browser(user), task, values)
