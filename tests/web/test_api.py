"""The JSON API with personal tokens: list, show, complete (422/409/403/404), start, instance."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from models import db, deferred
from models.org import ApiToken, User
from tests.conftest import IsolatedClient
from tests.support.walk import open_task, org


def token_for(username: str) -> dict:
    user = db.session.scalars(select(User).where(User.username == username)).one()
    token = secrets.token_urlsafe(24)
    db.session.add(ApiToken(user_id=user.id, name="test", token_hash=ApiToken.hash(token)))
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_api_walks_a_draft_and_reports_errors_precisely(app):
    with app.app_context():
        client = IsolatedClient(app)
        cttt = token_for("pgddt.cttt")
        assert client.get("/api/tasks").status_code == 401
        assert client.get("/api/tasks", headers={"Authorization": "Bearer nope"}).status_code == 401

        response = client.post("/api/processes/directive_plan/instances", headers=cttt, json={})
        assert response.status_code == 201
        instance_id = response.get_json()["id"]
        task = open_task("draft_plan", instance_id=instance_id)
        listed = client.get("/api/tasks", headers=cttt).get_json()["tasks"]
        assert task.id in [t["id"] for t in listed]
        shown = client.get(f"/api/tasks/{task.id}", headers=cttt).get_json()
        assert {f["id"] for f in shown["form"]} >= {"trich_yeu", "noi_dung", "han_nop", "noi_nhan"}

        bad = client.post(
            f"/api/tasks/{task.id}/complete",
            headers=cttt,
            json={"trich_yeu": "", "noi_dung": "x", "han_nop": "not a date", "noi_nhan": []},
        )
        assert bad.status_code == 422
        fields = bad.get_json()["fields"]
        assert set(fields) >= {"trich_yeu", "han_nop", "noi_nhan"}
        assert fields["han_nop"]["code"] == "not_a_date"

        school = org("cp-s-thcs-suoi-khoang")
        good = {
            "trich_yeu": "Kế hoạch",
            "noi_dung": "Nội dung",
            "han_nop": "2022-08-31",
            "noi_nhan": [{"org_id": school.id, "purpose": "thuc_hien"}],
        }
        deputy = token_for("pgddt.pho")
        assert client.post(f"/api/tasks/{task.id}/complete", headers=deputy, json=good).status_code == 403
        principal = token_for(
            next(u.username for u in db.session.scalars(select(User).where(User.org_id == school.id)))
        )
        assert client.post(f"/api/tasks/{task.id}/complete", headers=principal, json=good).status_code == 404
        assert client.get(f"/api/instances/{instance_id}", headers=principal).status_code == 404

        ok = client.post(f"/api/tasks/{task.id}/complete", headers=cttt, json=good)
        assert ok.status_code == 200
        again = client.post(f"/api/tasks/{task.id}/complete", headers=cttt, json=good)
        assert again.status_code == 409

        detail = client.get(f"/api/instances/{instance_id}", headers=cttt).get_json()
        assert detail["status"] == "running"
        assert [t["bpmn_id"] for t in detail["tasks"]] == ["draft_plan", "approve_plan"]
        assert any(e["action"] == "task.complete" for e in detail["history"])


def test_unknown_process_and_not_allowed_start(app):
    with app.app_context():
        client = IsolatedClient(app)
        cttt = token_for("pgddt.cttt")
        assert client.post("/api/processes/nope/instances", headers=cttt, json={}).status_code == 404
        school = org("cp-s-thcs-suoi-khoang")
        staff = token_for(
            next(
                u.username
                for u in db.session.scalars(select(User).where(User.org_id == school.id))
                if "staff" in u.roles
            )
        )
        assert client.post("/api/processes/directive_plan/instances", headers=staff, json={}).status_code == 403


def test_completing_a_task_costs_a_fixed_handful_of_statements(app, monkeypatch):
    """The hot path's round trips are counted, not timed: token, lock (with the definition's hash and the
    organisations' cache generation, the instance's open tasks), its state in one read unless this process kept the
    workflow from the step before, then the writes.
    A request that wrote nothing to the outbox does not look into it. (A return also tells the drafter, after the
    completion has committed, in a unit of work of its own: tests/web/test_notification_groups.py; left out here.)"""
    from sqlalchemy import event

    import web.api.tasks

    monkeypatch.setattr(web.api.tasks, "tell_drafter", lambda *args: False)

    with app.app_context():
        client = IsolatedClient(app)
        cttt, deputy = token_for("pgddt.cttt"), token_for("pgddt.pho")
        school = org("cp-s-thcs-suoi-khoang")
        form = {
            "trich_yeu": "Kế hoạch",
            "noi_dung": "Nội dung",
            "han_nop": "2022-08-31",
            "noi_nhan": [{"org_id": school.id, "purpose": "thuc_hien"}],
        }
        statements: list[str] = []

        def count(conn, cursor, statement, *args):
            ahead = deferred.sent_ahead
            statements.append(statement)
            # writes that waited and went alone just before this statement are a statement too
            statements.extend(["(waiting writes sent ahead)"] * (deferred.sent_ahead - ahead))

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            for _ in range(3):  # the first round warms the caches (definition, organisations)
                instance_id = client.post("/api/processes/directive_plan/instances", headers=cttt, json={}).get_json()[
                    "id"
                ]
                draft = open_task("draft_plan", instance_id=instance_id).id
                db.session.rollback()
                statements.clear()
                assert client.post(f"/api/tasks/{draft}/complete", headers=cttt, json=form).status_code == 200
                drafted = list(statements)
                approve = open_task("approve_plan", instance_id=instance_id).id
                db.session.rollback()
                statements.clear()
                assert client.post(f"/api/tasks/{approve}/complete", headers=deputy, json={"quyet_dinh": "return"})
                returned = list(statements)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        # PostgreSQL: 1 token, 1 lock (with the open tasks), then one statement carries the task's close with its
        # inbox rows, the audit row and the state write (data, parts, rows, the state stamp and the summary) in
        # front of the new task's insert with its inbox rows (models.deferred). The state is not read: the instance
        # was started by this process, which kept its workflow (engine.core.warm). SQLite has no data-modifying CTEs:
        # the lock bump, the lock, the task's and its inbox rows' close, the audit row, the state write as 4–6
        # statements (6 when the loop back adds rows), the new task and its inbox rows; and the token's request
        # count for its rate limit (on PostgreSQL it rides in the token's lookup: models.commands.api_usage).
        drafted_limit, returned_limit = (13, 15) if db.engine.dialect.name == "sqlite" else (3, 3)
        assert len(drafted) <= drafted_limit, "\n".join(drafted)
        assert len(returned) <= returned_limit, "\n".join(returned)
        assert not any("FROM message" in s for s in drafted + returned)
        assert open_task("draft_plan", instance_id=instance_id).status == "open"  # returned for redrafting
