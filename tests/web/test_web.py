"""The HTTP app: login, inbox, task forms, double submits, isolation between schools, CSRF, redirects."""

from __future__ import annotations

from sqlalchemy import select

from models import db
from models.workflow import HumanTask
from tests.support.walk import complete, open_task, org, recipients_form


def start_office_plan(browser):
    """Phòng GDĐT starts a plan of its own and drafts it, so each test has tasks to act on."""
    cttt = browser("pgddt.cttt")
    response = cttt.post_form("/processes/start", {"process_key": "directive_plan"})
    assert response.status_code == 303
    return cttt, int(response.headers["Location"].rsplit("/", 1)[1])


def draft_form(school_ids, due="31/08/2022"):
    return {
        "loai_van_ban": "KH",
        "trich_yeu": "Kế hoạch thử nghiệm",
        "noi_dung": "Nội dung",
        "han_nop": due,
        **recipients_form("noi_nhan", [(i, "thuc_hien") for i in school_ids]),
    }


def test_login_page_is_vietnamese_and_switches_to_english(app, browser):
    with app.app_context():
        client = browser()
        page = client.get("/login").get_data(as_text=True)
        assert "Đăng nhập" in page and "Mật khẩu" in page
        page = client.get("/login?lang=en").get_data(as_text=True)
        assert "Log in" in page and "Password" in page


def test_wrong_password_is_refused_and_next_is_same_site_only(app, browser):
    with app.app_context():
        client = browser()
        token = client.csrf("/login")
        response = client.client.post(
            "/login", data={"username": "pgddt.cttt", "password": "nope", "csrf_token": token}
        )
        assert response.status_code == 200 and "không đúng" in response.get_data(as_text=True)
        token = client.csrf("/login")
        response = client.client.post(
            "/login?next=https://evil.example/x",
            data={"username": "pgddt.cttt", "password": "cascade-demo", "csrf_token": token},
        )
        assert response.status_code == 302 and response.headers["Location"] == "/"
        client = browser()
        token = client.csrf("/login")
        response = client.client.post(
            "/login?next=//evil.example",
            data={"username": "pgddt.cttt", "password": "cascade-demo", "csrf_token": token},
        )
        assert response.headers["Location"] == "/"


def test_form_post_without_csrf_token_is_refused(app, browser):
    with app.app_context():
        cttt, instance_id = start_office_plan(browser)
        task = open_task("draft_plan", instance_id=instance_id)
        response = cttt.client.post(f"/tasks/{task.id}", data={"trich_yeu": "x"})
        assert response.status_code == 400
        db.session.refresh(task)
        assert task.status == "open"


def test_invalid_form_comes_back_with_field_messages_and_nothing_changes(app, browser):
    with app.app_context():
        cttt, instance_id = start_office_plan(browser)
        task = open_task("draft_plan", instance_id=instance_id)
        response = cttt.post_form(
            f"/tasks/{task.id}",
            {"trich_yeu": "", "noi_dung": "có nội dung", "han_nop": "31/02/2022", "loai_van_ban": "XX"},
        )
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert page.count('role="alert"') >= 3
        assert "có nội dung" in page  # what was typed is kept
        db.session.refresh(task)
        assert task.status == "open"


def test_completing_twice_gives_a_clear_message_and_changes_nothing(app, browser):
    with app.app_context():
        cttt, instance_id = start_office_plan(browser)
        task = open_task("draft_plan", instance_id=instance_id)
        form = draft_form([org("cp-pgddt").id])
        second_tab_token = cttt.csrf(f"/tasks/{task.id}")
        complete(cttt, task, form)
        approvals = db.session.scalars(select(HumanTask).where(HumanTask.bpmn_id == "approve_plan")).all()
        response = cttt.client.post(f"/tasks/{task.id}", data={**form, "csrf_token": second_tab_token})
        assert response.status_code == 409  # web/errors.py answers the engine's TaskAlreadyCompletedError
        assert "đã được hoàn thành trước đó" in response.get_data(as_text=True)
        assert db.session.scalars(select(HumanTask).where(HumanTask.bpmn_id == "approve_plan")).all() == approvals


def test_claim_and_unclaim(app, browser):
    with app.app_context():
        cttt, instance_id = start_office_plan(browser)
        task = open_task("draft_plan", instance_id=instance_id)
        response = cttt.post_form(f"/tasks/{task.id}/claim", {}, form_page=f"/tasks/{task.id}")
        assert response.status_code == 303
        db.session.refresh(task)
        assert task.assignee.username == "pgddt.cttt"
        assert "Tôi đã nhận" in cttt.get("/?scope=mine").get_data(as_text=True)
        assert "Kế hoạch thực hiện" in cttt.get("/?scope=mine").get_data(as_text=True)
        response = cttt.post_form(f"/tasks/{task.id}/unclaim", {}, form_page=f"/tasks/{task.id}")
        db.session.refresh(task)
        assert task.assignee_id is None


def test_a_school_never_sees_another_schools_task(app, browser):
    with app.app_context():
        cttt, instance_id = start_office_plan(browser)
        a, b = org("cp-s-thcs-suoi-khoang"), org("cp-s-mn-cam-son")
        complete(cttt, open_task("draft_plan", instance_id=instance_id), draft_form([a.id, b.id]))
        complete(browser("pgddt.pho"), open_task("approve_plan", instance_id=instance_id), {"quyet_dinh": "approve"})
        complete(
            browser("pgddt.vanthu"),
            open_task("register_plan", instance_id=instance_id),
            recipients_form("noi_nhan", [(a.id, "thuc_hien"), (b.id, "thuc_hien")]),
        )
        task_a = open_task("draft_school_plan", a.code)
        task_b = open_task("draft_school_plan", b.code)
        from seed.data import USERS

        principal_b = next(u["username"] for u in USERS if u["org"] == b.code and "principal" in u["roles"])
        other = browser(principal_b)
        assert other.get(f"/tasks/{task_a.id}").status_code == 404
        assert other.get(f"/instances/{task_a.instance_id}").status_code == 404
        assert other.get(f"/tasks/{task_b.id}").status_code == 200
        inbox = other.get("/").get_data(as_text=True)
        assert f'/tasks/{task_a.id}"' not in inbox
        staff_b = next(u["username"] for u in USERS if u["org"] == b.code and "staff" in u["roles"])
        assert f'/tasks/{task_b.id}"' in browser(staff_b).get("/").get_data(as_text=True)


def test_failed_logins_are_rate_limited_per_user(app, browser):
    with app.app_context():
        client = browser()
        statuses = []
        for _ in range(7):
            token = client.csrf("/login")
            response = client.client.post(
                "/login", data={"username": "pgddt.vanthu", "password": "wrong", "csrf_token": token}
            )
            statuses.append(response.status_code)
        assert statuses[:5] == [200] * 5 and statuses[-1] == 429
        assert browser("pgddt.cttt").get("/").status_code == 200  # other people are not locked out


def test_markup_in_form_values_is_shown_as_text_never_run(app, browser):
    with app.app_context():
        cttt, instance_id = start_office_plan(browser)
        task = open_task("draft_plan", instance_id=instance_id)
        payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
        complete(cttt, task, draft_form([org("cp-pgddt").id]) | {"trich_yeu": payload})
        page = browser("pgddt.pho").get(f"/tasks/{open_task('approve_plan', instance_id=instance_id).id}")
        html = page.get_data(as_text=True)
        assert payload not in html and "&lt;script&gt;alert(" in html
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        assert page.headers["X-Frame-Options"] == "DENY"


def test_inbox_rows_show_who_holds_each_task_its_due_date_and_lateness(app, browser):
    """The list is built from plain rows (web/queries.inbox_rows): the claimed task names its holder, the other
    reads "Chưa nhận"; due dates are dd/mm/yyyy; both turn "Quá hạn" once the clock passes them."""
    import re
    from datetime import datetime

    from engine.core.clock import VN_TZ, clock
    from tests.support.walk import user

    with app.app_context():
        cttt, first = start_office_plan(browser)
        second = int(
            cttt.post_form("/processes/start", {"process_key": "directive_plan"}).headers["Location"].split("/")[-1]
        )
        claimed, free = open_task("draft_plan", instance_id=first), open_task("draft_plan", instance_id=second)
        assert cttt.post_form(f"/tasks/{claimed.id}/claim", {}, form_page=f"/tasks/{claimed.id}").status_code == 303

        def row(html: str, task_id: int) -> str:
            match = re.search(rf'<tr class="[^"]*">\s*<td><a href="/tasks/{task_id}">.*?</tr>', html, re.S)
            assert match, f"task {task_id} not listed"
            return match.group(0)

        page = cttt.get("/").get_data(as_text=True)
        due = claimed.due_at.astimezone(VN_TZ).strftime("%d/%m/%Y")  # P3D from Fri 29/07/2022: 3 working days
        assert due == "03/08/2022"
        assert user("pgddt.cttt").full_name in row(page, claimed.id) and due in row(page, claimed.id)
        assert "Chưa nhận" in row(page, free.id) and "Quá hạn" not in page

        clock.freeze(datetime(2022, 8, 5, 9, 0, tzinfo=VN_TZ))
        late = cttt.get("/").get_data(as_text=True)
        assert 'class="overdue"' in row(late, claimed.id) and "Quá hạn" in row(late, free.id)
