"""Officials' daily work (issue 13): every task page shows its subject; the inbox names the organisation, the
directive and a return with its comment, filters and pages; the history reads as decisions; the follow-up page
counts right; numbers are written and typed the Vietnamese way; the API filters and pages the same tasks."""

from __future__ import annotations

import re

from models import db
from models.incident import Incident
from tests.support.walk import complete, open_task, org, recipients_form
from tests.web.test_incidents import raise_incident
from tests.web.test_web import draft_form, start_office_plan

SK = "cp-s-thcs-suoi-khoang"


def _issue_to_schools(browser, codes, returned_once=True):
    """Phòng GDĐT drafts a plan to these schools; the deputy returns it once with a comment, then approves."""
    cttt, instance_id = start_office_plan(browser)
    ids = [org(c).id for c in codes]
    complete(cttt, open_task("draft_plan", instance_id=instance_id), draft_form(ids))
    pho = browser("pgddt.pho")
    if returned_once:
        complete(
            pho,
            open_task("approve_plan", instance_id=instance_id),
            {"quyet_dinh": "return", "y_kien": "Bổ sung phần kinh phí.\nXem lại mục II."},
        )
    return cttt, pho, instance_id


def _approve_and_issue(browser, pho, instance_id, codes):
    complete(pho, open_task("approve_plan", instance_id=instance_id), {"quyet_dinh": "approve"})
    chosen = [(org(c).id, "thuc_hien") for c in codes]
    complete(
        browser("pgddt.vanthu"),
        open_task("register_plan", instance_id=instance_id),
        recipients_form("noi_nhan", chosen),
    )


def test_returned_draft_carries_badge_comment_and_history(app, browser):
    with app.app_context():
        cttt, pho, instance_id = _issue_to_schools(browser, [SK])
        inbox = cttt.get("/").get_data(as_text=True)
        assert 'class="badge returned"' in inbox and "Bổ sung phần kinh phí." in inbox
        assert "Xem lại mục II." not in inbox  # only the comment's first line in the row
        assert "Bổ sung phần kinh phí." in cttt.get("/?returned=1").get_data(as_text=True)
        draft = open_task("draft_plan", instance_id=instance_id)
        page = cttt.get(f"/tasks/{draft.id}").get_data(as_text=True)
        assert "returned-banner" in page and page.index("Bổ sung phần kinh phí.") < page.index('class="task-form"')
        complete(cttt, draft, draft_form([org(SK).id]) | {"trich_yeu": "Kế hoạch đã sửa"})
        page = pho.get(f"/tasks/{open_task('approve_plan', instance_id=instance_id).id}").get_data(as_text=True)
        assert 'id="rounds"' in page and "Kế hoạch đã sửa" in page and "Bổ sung phần kinh phí." in page
        assert page.index("Kế hoạch đã sửa") < page.index("Kế hoạch thử nghiệm")  # newest first
        assert "Đã sửa so với lần trước" in page and "trích yếu" in page
        history = cttt.get(f"/instances/{instance_id}").get_data(as_text=True)
        assert "trả lại để sửa" in history and "Bổ sung phần kinh phí." in history


def _school_plan_at_office(browser, code=SK, login="thcs-suoikhoang"):
    _cttt, pho, instance_id = _issue_to_schools(browser, [code], returned_once=False)
    _approve_and_issue(browser, pho, instance_id, [code])
    people = {"gv": f"{login}.gv", "ht": f"{login}.ht"}
    plan = {"trich_yeu": "Kế hoạch của trường", "noi_dung": "Nội dung kế hoạch trường", "kinh_phi": "15.000.000"}
    complete(browser(people["gv"]), open_task("draft_school_plan", code), plan)
    complete(browser(people["ht"]), open_task("principal_approval", code), {"hieu_truong_duyet": "approve"})
    return open_task("office_review", code)


def test_reviewer_sees_the_school_and_its_plan(app, browser):
    with app.app_context():
        review = _school_plan_at_office(browser)
        cttt = browser("pgddt.cttt")
        inbox = cttt.get("/").get_data(as_text=True)
        row = re.search(rf'<tr[^>]*>\s*<td[^>]*><a href="/tasks/{review.id}".*?</tr>', inbox, re.S).group(0)
        assert "Suối Khoáng" in row and "/KH-PGDĐT" in row
        page = cttt.get(f"/tasks/{review.id}").get_data(as_text=True)
        assert "Kế hoạch của trường" in page and "Nội dung kế hoạch trường" in page
        assert "15.000.000" in page  # typed with thousands dots, accepted and shown the same way
        filtered = cttt.get(f"/?q=Suối+Khoáng&org={org(SK).id}").get_data(as_text=True)
        assert f"/tasks/{review.id}" in filtered
        assert f"/tasks/{review.id}" not in cttt.get("/?process=incident").get_data(as_text=True)


def test_incident_subject_on_confirm_and_receive(app, browser):
    with app.app_context():
        raise_incident(browser, "thcs-suoikhoang.gv", occurred_at="2022-07-29T07:30")
        incident = db.session.query(Incident).order_by(Incident.id.desc()).first()
        confirm = open_task("confirm_incident", instance_id=incident.instance_id)
        page = browser("thcs-suoikhoang.ht").get(f"/tasks/{confirm.id}").get_data(as_text=True)
        assert 'class="subject incident"' in page and incident.description in page
        assert "Người liên quan" in page or not incident.people
        complete(browser("thcs-suoikhoang.ht"), confirm, {"xac_nhan": "confirm", "muc_do": incident.severity})
        receive = open_task("acknowledge_incident", instance_id=incident.instance_id)
        page = browser("pgddt.cttt").get(f"/tasks/{receive.id}").get_data(as_text=True)
        assert incident.description in page and "Suối Khoáng" in page


def test_history_and_pages_show_no_raw_keys(app, browser):
    with app.app_context():
        _cttt, _pho, instance_id = _issue_to_schools(browser, [SK])
        page = browser("pgddt.cttt").get(f"/instances/{instance_id}").get_data(as_text=True)
        assert not re.search(r"\b(task|instance|report|document)\.[a-z_]+\b", re.sub(r"<[^>]+>", " ", page))


def test_api_tasks_filters_pages_and_totals(app, browser):
    from tests.web.test_api import token_for

    with app.app_context():
        for _ in range(3):
            start_office_plan(browser)
        headers = token_for("pgddt.cttt")
        client = app.test_client()
        first = client.get("/api/tasks?limit=2&process=directive_plan", headers=headers).get_json()
        assert first["total"] >= 3 and len(first["tasks"]) == 2 and first["next"] is not None
        second = client.get(f"/api/tasks?limit=2&process=directive_plan&after={first['next']}", headers=headers)
        ids = [t["id"] for t in first["tasks"]] + [t["id"] for t in second.get_json()["tasks"]]
        assert len(ids) == len(set(ids)) >= 3
        none = client.get("/api/tasks?process=incident", headers=headers).get_json()
        assert none["total"] == 0 and none["tasks"] == []


def test_follow_up_counts_every_status(app, browser):
    with app.app_context():
        _cttt, pho, instance_id = _issue_to_schools(browser, [SK, "cp-s-mn-huong-quynh"], returned_once=False)
        _approve_and_issue(browser, pho, instance_id, [SK, "cp-s-mn-huong-quynh"])
        from models.document import Document

        document = db.session.query(Document).filter(Document.issuing_instance_id == instance_id).one()
        page = browser("pgddt.cttt").get(f"/documents/{document.id}/cascade").get_data(as_text=True)
        assert "built-in method" not in page and 'class="progress"' in page
        assert "Suối Khoáng" in page
        late = browser("pgddt.cttt").get(f"/documents/{document.id}/cascade?only=late").get_data(as_text=True)
        assert "Suối Khoáng" not in late
        xlsx = browser("pgddt.cttt").get(f"/documents/{document.id}/cascade.xlsx")
        assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
