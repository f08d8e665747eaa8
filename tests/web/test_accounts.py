"""Accounts administered in the app: sessions that end, one-time passwords, the strength rule, locks counted in
the database, administration of people and organisations (audited), API tokens revoked."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from models import db
from models.org import ApiToken, CacheGeneration, Organisation, User
from models.workflow import AuditEvent
from tests.conftest import Browser
from tests.support.walk import org

STRONG = "mua thu ha long vang"


def user(username: str) -> User:
    db.session.expire_all()
    return db.session.scalars(select(User).where(User.username == username)).one()


def test_a_session_cookie_copied_before_logout_is_refused_after_it(app, browser):
    with app.app_context():
        b = browser("pgddt.cttt")
        cookie = b.client.get_cookie("session").value
        assert b.get("/").status_code == 200
        b.post_form("/logout", {}, form_page="/")
        thief = app.test_client()
        thief.set_cookie("session", cookie, domain="localhost")
        response = thief.get("/")
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_changing_my_password_checks_strength_and_ends_my_other_sessions(app, browser):
    with app.app_context():
        me, other = browser("pgddt.cttt"), browser("pgddt.cttt")
        for weak, words in (("ngan", "ít nhất 10"), ("cascade-demo", "trình diễn"), ("1234567890", "phổ biến")):
            data = {"current": "cascade-demo", "new": weak, "confirm": weak}
            response = me.post_form("/profile/password", data)
            assert response.status_code == 422 and words in response.get_data(as_text=True)
        bad = me.post_form("/profile/password", {"current": "sai", "new": STRONG, "confirm": STRONG})
        assert "Mật khẩu hiện tại không đúng" in bad.get_data(as_text=True)
        done = me.post_form("/profile/password", {"current": "cascade-demo", "new": STRONG, "confirm": STRONG})
        assert done.status_code == 302
        assert me.get("/").status_code == 200  # this session carries on
        assert other.get("/").status_code == 302  # the other one has ended
        assert not user("pgddt.cttt").demo_password
        Browser(app).login("pgddt.cttt", STRONG)


def test_failed_logins_lock_the_account_with_a_clear_message(app, browser):
    with app.app_context():
        client = browser()
        for _ in range(5):
            client.client.post(
                "/login", data={"username": "pgddt.pho", "password": "x", "csrf_token": client.csrf("/login")}
            )
        right = {"username": "pgddt.pho", "password": "cascade-demo", "csrf_token": client.csrf("/login")}
        response = client.client.post("/login", data=right)
        assert response.status_code == 429
        assert "Tài khoản tạm khoá" in response.get_data(as_text=True)
        assert user("pgddt.pho").failed_logins == 5 and user("pgddt.pho").locked_until is not None


def test_one_wrong_password_on_many_accounts_from_one_address_is_throttled(app, browser):
    with app.app_context():
        client = browser()
        statuses = []
        for i in range(32):
            data = {"username": f"ghost{i}", "password": "x", "csrf_token": client.csrf("/login")}
            statuses.append(client.client.post("/login", data=data).status_code)
        assert statuses[:30] == [200] * 30 and statuses[-1] == 429


def new_school(admin: Browser, name: str) -> Organisation:
    code = f"cp-s-th-test-{uuid.uuid4().hex[:6]}"
    fields = {
        "code": code,
        "name": name,
        "short_name": name.replace("Trường Tiểu học", "TH"),
        "kind": "school",
        "parent_id": org("cp-pgddt").id,
        "ward_id": org("cp-w-cam-son").id,
        "school_level": "TH",
    }
    assert admin.post_form("/admin/orgs/new", fields).status_code == 302
    return org(code)


def test_an_admin_adds_a_school_and_its_principal_who_must_change_the_one_time_password(app, browser):
    with app.app_context():
        admin = browser("admin")
        stamp = db.session.get(CacheGeneration, "organisation").value
        school = new_school(admin, "Trường Tiểu học Thử Nghiệm")
        db.session.expire_all()
        assert db.session.get(CacheGeneration, "organisation").value != stamp  # every process rereads the tree
        name = f"th-thu-{uuid.uuid4().hex[:5]}.ht"
        refused = admin.post_form("/admin/users/new", {"username": "Bad Name", "full_name": "", "org_id": school.id})
        assert refused.status_code == 422 and "Chọn ít nhất một vai trò" in refused.get_data(as_text=True)
        page = admin.post_form(
            "/admin/users/new",
            {"username": name, "full_name": "Nguyễn Văn Thử", "org_id": school.id, "roles": "principal"},
        ).get_data(as_text=True)
        password = re.search(r'id="one-time-password">([^<]+)<', page).group(1)
        principal = Browser(app)
        principal.login(name, password)
        assert principal.get("/").headers["Location"].endswith("/profile/password")
        principal.post_form("/profile/password", {"current": password, "new": STRONG, "confirm": STRONG})
        assert principal.get("/").status_code == 200
        actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        assert actions[-2:] == ["admin.org.create", "admin.user.create"]
        created = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "admin.user.create")).one()
        assert created.user.username == "admin" and created.detail["after"]["roles"] == ["principal"]


def test_deactivating_ends_the_sessions_and_non_admins_cannot_administer(app, browser):
    with app.app_context():
        victim = browser("pgddt.vanthu")
        assert victim.get("/").status_code == 200
        assert victim.get("/admin/users").status_code == 403
        admin = browser("admin")
        target = user("pgddt.vanthu")
        admin.post_form(f"/admin/users/{target.id}/active", {"active": "0"}, form_page=f"/admin/users/{target.id}")
        assert victim.get("/").status_code == 302
        assert not user("pgddt.vanthu").active
        change = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "admin.user.deactivate")).one()
        assert change.detail["before"] == {"active": True} and change.detail["after"] == {"active": False}


def test_an_admin_reset_gives_a_one_time_password(app, browser):
    with app.app_context():
        admin, target = browser("admin"), user("pgddt.pho")
        page = admin.post_form(f"/admin/users/{target.id}/reset", {}, form_page=f"/admin/users/{target.id}")
        password = re.search(r'id="one-time-password">([^<]+)<', page.get_data(as_text=True)).group(1)
        assert user("pgddt.pho").must_change_password
        Browser(app).login("pgddt.pho", password)


def test_revoked_tokens_are_refused_and_listed_on_my_profile(app, browser):
    with app.app_context():
        me = browser("pgddt.cttt")
        me.post_form("/profile/tokens", {"name": "máy chủ báo cáo", "days": "30"}, form_page="/profile")
        token = db.session.scalars(select(ApiToken)).one()
        assert token.expires_at is not None and "máy chủ báo cáo" in me.get("/profile").get_data(as_text=True)
        me.post_form(f"/profile/tokens/{token.id}/revoke", {}, form_page="/profile")
        db.session.expire_all()
        assert db.session.get(ApiToken, token.id).revoked
        assert "Đã thu hồi" in me.get("/profile").get_data(as_text=True)
        assert browser("pgddt.pho").post_form(f"/profile/tokens/{token.id}/revoke", {}, "/profile").status_code == 404


def test_the_api_refuses_revoked_and_expired_tokens_and_takes_any_case_of_bearer(app, browser):
    from datetime import timedelta

    from engine.core.clock import clock
    from models.commands.tokens import create_token

    with app.app_context():
        client = browser().client
        live = create_token("pgddt.cttt", "live", clock.now() + timedelta(days=1))
        assert client.get("/api/me", headers={"Authorization": f"bearer {live}"}).status_code == 200
        expired = create_token("pgddt.cttt", "old", clock.now() - timedelta(minutes=1))
        assert client.get("/api/me", headers={"Authorization": f"Bearer {expired}"}).status_code == 401
        revoked = create_token("pgddt.cttt", "gone")
        assert client.get("/api/me", headers={"Authorization": f"BEARER {revoked}"}).status_code == 200
        runner = app.test_cli_runner()
        assert "1 token(s) revoked" in runner.invoke(args=["revoke-token", "pgddt.cttt", "--name", "gone"]).output
        assert client.get("/api/me", headers={"Authorization": f"Bearer {revoked}"}).status_code == 401


def test_a_deactivated_persons_claimed_tasks_go_back_to_their_unit(app, browser):
    from models.workflow import HumanTask, HumanTaskCandidate
    from tests.web.test_web import start_office_plan

    with app.app_context():
        cttt, instance_id = start_office_plan(browser)
        task = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)).one()
        cttt.post_form(f"/tasks/{task.id}/claim", {}, form_page=f"/tasks/{task.id}")
        db.session.expire_all()
        assert db.session.get(HumanTask, task.id).assignee_id == user("pgddt.cttt").id
        admin, target = browser("admin"), user("pgddt.cttt")
        admin.post_form(f"/admin/users/{target.id}/active", {"active": "0"}, form_page=f"/admin/users/{target.id}")
        db.session.expire_all()
        assert db.session.get(HumanTask, task.id).assignee_id is None
        rows = db.session.scalars(select(HumanTaskCandidate).where(HumanTaskCandidate.human_task_id == task.id))
        assert not any(r.claimed for r in rows)
