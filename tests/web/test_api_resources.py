"""The API an integrator builds on: who am I and the organisation tree, a task's current values kept when left
out, the register and one document with its cascade, incidents (JSON and multipart), reports, Circular 124,
paging, read-only tokens and rate limits. Cross-organisation 404s for every route with an id are generated in
`test_authorization_matrix.py`; the owners' side is here."""

from __future__ import annotations

import io
import secrets
from datetime import datetime

from sqlalchemy import select

from engine.core.clock import VN_TZ, clock
from engine.tt124 import services as tt124_services
from models import db
from models.org import ApiToken, User
from tests.conftest import IsolatedClient
from tests.support.reporting_walk import token_actor
from tests.support.walk import open_task, org
from tests.web.test_api import token_for
from tests.web.test_reports_web import open_q3
from web.deps import cascade, store

SCHOOL_A, SCHOOL_B = "cp-s-thcs-suoi-khoang", "mn-camson"


def token(username: str, **columns) -> dict:
    user = db.session.scalars(select(User).where(User.username == username)).one()
    value = secrets.token_urlsafe(24)
    db.session.add(ApiToken(user_id=user.id, name="test", token_hash=ApiToken.hash(value), **columns))
    db.session.commit()
    return {"Authorization": f"bearer {value}"}  # the scheme in any case


def issue_office_plan(client, school_ids: list[int]) -> int:
    """Phòng GDĐT drafts, approves and numbers a plan over the API; the clerk sends no recipients (kept)."""
    cttt, deputy, clerk = token_for("pgddt.cttt"), token_for("pgddt.pho"), token_for("pgddt.vanthu")
    instance_id = client.post("/api/processes/directive_plan/instances", headers=cttt, json={}).get_json()["id"]
    chosen = [{"org_id": i, "purpose": "thuc_hien"} for i in school_ids]
    draft = {"loai_van_ban": "KH", "trich_yeu": "Kế hoạch API", "noi_dung": "…", "han_nop": "2022-08-31"}
    task = open_task("draft_plan", instance_id=instance_id).id
    assert (
        client.post(f"/api/tasks/{task}/complete", headers=cttt, json={**draft, "noi_nhan": chosen}).status_code == 200
    )
    task = open_task("approve_plan", instance_id=instance_id).id
    assert client.post(f"/api/tasks/{task}/complete", headers=deputy, json={"quyet_dinh": "approve"}).status_code == 200
    task = open_task("register_plan", instance_id=instance_id).id
    shown = client.get(f"/api/tasks/{task}", headers=clerk).get_json()
    field = next(f for f in shown["form"] if f["id"] == "noi_nhan")
    assert field["value"] == chosen and field["label_en"] == "Recipients"
    done = client.post(f"/api/tasks/{task}/complete", headers=clerk, json={})
    assert done.status_code == 200, done.get_json()
    return instance_id


def test_me_and_the_organisation_tree(app):
    with app.app_context():
        client, cttt = IsolatedClient(app), token_for("pgddt.cttt")
        me = client.get("/api/me", headers=cttt).get_json()
        assert me["username"] == "pgddt.cttt" and me["organisation"]["kind"] == "section"
        assert org("cp-pgddt").id in me["org_scope"] and me["token"]["scope"] == "write"
        office = org("cp-pgddt")
        schools = client.get(f"/api/organisations?kind=school&parent={office.id}&limit=200", headers=cttt).get_json()
        assert schools["total"] == len(schools["organisations"]) >= 55 and schools["next"] is None
        assert all(o["parent_id"] == office.id and o["short_name"] for o in schools["organisations"])
        first = client.get("/api/organisations?limit=10", headers=cttt).get_json()
        second = client.get(f"/api/organisations?limit=10&after={first['next']}", headers=cttt).get_json()
        ids = [o["id"] for o in first["organisations"] + second["organisations"]]
        assert ids == sorted(set(ids)) and len(ids) == 20 and first["total"] == second["total"]
        mine = client.get("/api/organisations?scope=mine", headers=cttt).get_json()["organisations"]
        assert {o["id"] for o in mine} == set(me["org_scope"]) and all(o["in_scope"] for o in mine)
        detail = client.get(f"/api/organisations/{office.id}", headers=cttt).get_json()
        assert org("cp-pgddt-cttt").id in detail["children"]
        assert client.get("/api/organisations/999999", headers=cttt).status_code == 404
        bad = client.get("/api/organisations?limit=0&after=x", headers=cttt)
        assert bad.status_code == 422 and set(bad.get_json()["fields"]) == {"limit", "after"}
        assert bad.get_json()["fields"]["after"]["message_vi"]


def test_a_plan_its_register_and_its_cascade(app):
    with app.app_context():
        clock.freeze(datetime(2022, 8, 3, 8, 0, tzinfo=VN_TZ))
        client, cttt = IsolatedClient(app), token_for("pgddt.cttt")
        a, b = org(SCHOOL_A), org("cp-s-th-cam-son")
        instance_id = issue_office_plan(client, [a.id, b.id])
        listed = client.get("/api/documents?direction=issued&type=KH&year=2022&q=API", headers=cttt).get_json()
        assert listed["total"] == 1
        document_id = listed["documents"][0]["id"]
        doc = client.get(f"/api/documents/{document_id}", headers=cttt).get_json()
        assert doc["symbol"].endswith("/KH-PGDĐT") and doc["issuing_instance_id"] == instance_id
        assert doc["signature"]["mode"] == "KT" and doc["signature"]["name"]
        assert {(r["org_id"], r["purpose"]) for r in doc["recipients"]} >= {(a.id, "thuc_hien"), (b.id, "thuc_hien")}
        nodes = {n["org_id"]: n for n in doc["cascade"]["nodes"]}
        assert nodes[a.id]["status"] in ("in_progress", "not_started") and doc["cascade"]["totals"]["done"] == 0
        school = token_for("thcs-suoikhoang.ht")
        seen = client.get(f"/api/documents/{document_id}", headers=school).get_json()
        assert seen["cascade"] is None  # recipients see the document, not how the others are doing
        received = client.get("/api/documents?direction=received", headers=school).get_json()["documents"]
        assert document_id in [d["id"] for d in received]
        outsider = token_for("mn-camson.ht")
        assert client.get(f"/api/documents/{document_id}", headers=outsider).status_code == 404
        pages = client.get("/api/documents?limit=1", headers=cttt).get_json()
        assert pages["next"] is not None and pages["total"] > 1
        assert client.get("/api/documents?direction=sideways", headers=cttt).status_code == 422


def test_incidents_raised_as_json_and_multipart_seen_by_their_school_only(app):
    with app.app_context():
        client, staff = IsolatedClient(app), token_for("thcs-suoikhoang.gv")
        body = {
            "category": "fight",
            "severity": "minor",
            "location": "inside",
            "occurred_at": "2022-07-28T07:30",
            "description": "Xô xát.",
            "people": [{"class": "9A", "role": "victim", "name": "Trần Thị Bình"}],
        }
        bad = client.post("/api/incidents", headers=staff, json={**body, "severity": "huge"})
        assert bad.status_code == 422 and bad.get_json()["fields"]["severity"]["message_vi"]
        first = client.post("/api/incidents", headers=staff, json=body)
        assert first.status_code == 201
        data = {**body, "people": '[{"class": "9A", "role": "victim", "name": "Trần Thị Bình"}]'}
        data["attachments"] = [(io.BytesIO(b"bien ban"), "bien-ban.txt")]
        second = client.post("/api/incidents", headers=staff, data=data, content_type="multipart/form-data")
        assert second.status_code == 201, second.get_json()
        data["attachments"] = [(io.BytesIO(b"\x00\x01binary"), "x.exe")]
        refused = client.post("/api/incidents", headers=staff, data=data, content_type="multipart/form-data")
        assert refused.status_code == 422 and refused.get_json()["fields"]["attachments"]["code"] == "upload_type"
        incident_id = second.get_json()["id"]
        principal = token_for("thcs-suoikhoang.ht")
        shown = client.get(f"/api/incidents/{incident_id}", headers=principal).get_json()
        assert shown["access"] == "full" and shown["people"][0]["name"] == "Trần Thị Bình"
        attachment = client.get(shown["attachments"][0]["url"], headers=principal)
        assert attachment.status_code == 200 and attachment.data == b"bien ban"
        listed = client.get("/api/incidents?limit=1", headers=principal).get_json()
        assert listed["total"] == 2 and listed["incidents"][0]["id"] == incident_id and listed["next"] == incident_id
        outsider = token_for("mn-camson.ht")
        assert client.get("/api/incidents", headers=outsider).get_json()["total"] == 0
        assert client.get(f"/api/incidents/{incident_id}", headers=outsider).status_code == 404
        office = token_for("pgddt.cttt")
        assert client.post("/api/incidents", headers=office, json=body).status_code == 403  # schools raise them


def test_reports_and_circular_124_for_the_school_and_the_office(app):
    with app.app_context():
        client, a = IsolatedClient(app), org(SCHOOL_A)
        period_id = open_q3(app)
        staff, cttt = token_for("thcs-suoikhoang.gv"), token_for("pgddt.cttt")
        tasks = client.get("/api/reports/tasks", headers=staff).get_json()
        assert [t["bpmn_id"] for t in tasks["tasks"]] == ["fill_report"] and tasks["total"] == 1
        mine = client.get("/api/reports/submissions", headers=staff).get_json()["submissions"]
        assert [(s["period_id"], s["school_id"]) for s in mine] == [(period_id, a.id)]
        assert (
            client.get(f"/api/reports/submissions/{mine[0]['id']}", headers=staff).get_json()["period"]["id"]
            == period_id
        )
        assert client.get(f"/api/reports/periods/{period_id}", headers=staff).status_code == 404
        period = client.get(f"/api/reports/periods/{period_id}", headers=cttt).get_json()
        assert len(period["submissions"]) >= 55 and period["compilation"] is None
        assert client.get("/api/reports/periods", headers=cttt).get_json()["periods"][0]["id"] == period_id

        cycle_id = tt124_services.open_cycle(cascade(), store(), token_actor("pgddt.cttt"), org("cp-pgddt").id, 2022)
        cascade().deliver_messages(store())
        years = client.get("/api/tt124/participations?year=2022", headers=staff).get_json()["participations"]
        assert [(p["school_id"], p["year"]) for p in years] == [(a.id, 2022)]
        year = client.get(f"/api/tt124/participations/{years[0]['id']}", headers=staff).get_json()
        assert year["status"] == "open" and year["status_en"] and year["cycle_id"] == cycle_id
        office_view = client.get(f"/api/tt124/participations?school={a.id}", headers=cttt).get_json()
        assert office_view["total"] == 1
        assert (
            client.get(f"/api/tt124/participations/{years[0]['id']}", headers=token_for("mn-camson.ht")).status_code
            == 404
        )


def test_read_only_tokens_read_and_rate_limits_count_every_request(app):
    with app.app_context():
        client = IsolatedClient(app)
        reader = token("pgddt.cttt", scope="read")
        assert client.get("/api/me", headers=reader).get_json()["token"]["scope"] == "read"
        refused = client.post("/api/processes/directive_plan/instances", headers=reader, json={})
        assert refused.status_code == 403 and refused.get_json()["message_vi"]
        limited = token("pgddt.cttt", rate_limit=3)
        answers = [client.get("/api/me", headers=limited) for _ in range(4)]
        assert [r.status_code for r in answers] == [200, 200, 200, 429]
        assert answers[0].headers["X-RateLimit-Limit"] == "3" and answers[2].headers["X-RateLimit-Remaining"] == "0"
        assert int(answers[3].headers["Retry-After"]) >= 1 and answers[3].get_json()["message_vi"]
        assert client.get("/api/me", headers=reader).status_code == 200  # per token
        expired = token("pgddt.cttt", expires_at=datetime(2022, 7, 1, tzinfo=VN_TZ))
        assert client.get("/api/me", headers=expired).status_code == 401
