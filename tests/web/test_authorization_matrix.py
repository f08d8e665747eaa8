"""Generated over every page and API route that takes an id: a user of another school, a ward police officer
of another ward and an office of another level ask for school A's objects and get 403/404, never the data;
the people who own or handle them get 200 (so the route is not simply broken)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import select

from engine.core.clock import VN_TZ, clock
from engine.tt124 import services as tt124_services
from models import db
from models.document import Document
from models.incident import Incident, Notification
from models.org import User
from models.report import ReportSubmission
from tests.conftest import Browser, IsolatedClient
from tests.support.walk import complete, open_task, org, recipients_form
from tests.web.test_api import token_for
from tests.web.test_reports_web import open_q3
from tests.web.test_web import draft_form, start_office_plan

SCHOOL_A = "cp-s-thcs-suoi-khoang"
OUTSIDERS = ("mn-camson.ht", "ca.camson", "ubndtp.vanthu")  # another school, another ward's police, above


def outsider_usernames():
    return list(OUTSIDERS)


def build_world(app, browser):
    """School A's objects: a plan document, an open task, an instance, an incident with an attachment, a
    report submission and a period, a notification, its Circular 124 year with a piece of evidence and a file
    attached to it."""
    clock.freeze(datetime(2022, 8, 3, 8, 0, tzinfo=VN_TZ))
    a = org(SCHOOL_A)
    cttt, office_instance = start_office_plan(browser)
    complete(cttt, open_task("draft_plan", instance_id=office_instance), draft_form([a.id]))
    complete(browser("pgddt.pho"), open_task("approve_plan", instance_id=office_instance), {"quyet_dinh": "approve"})
    complete(
        browser("pgddt.vanthu"),
        open_task("register_plan", instance_id=office_instance),
        recipients_form("noi_nhan", [(a.id, "thuc_hien")]),
    )
    complete(
        browser("thcs-suoikhoang.gv"),
        open_task("draft_school_plan", SCHOOL_A),
        {"trich_yeu": "KH của trường", "noi_dung": "…"},
    )
    complete(browser("thcs-suoikhoang.ht"), open_task("principal_approval", SCHOOL_A), {"hieu_truong_duyet": "approve"})
    complete(cttt, open_task("office_review", SCHOOL_A), {"ket_qua_xem_xet": "accept"})
    school_plan = db.session.scalars(select(Document).where(Document.issuer_id == a.id)).one()

    import io

    client = browser("thcs-suoikhoang.gv")
    response = client.client.post(
        "/incidents/new",
        content_type="multipart/form-data",
        data={
            "csrf_token": client.csrf("/incidents/new"),
            "category": "fight",
            "severity": "minor",
            "location": "inside",
            "occurred_at": "2022-08-03T07:30",
            "description": "Xô xát.",
            "person_class_0": "9A",
            "person_role_0": "victim",
            "person_name_0": "Trần Thị Bình",
            "attachments": [(io.BytesIO(b"bien ban"), "bien-ban.txt", "text/plain")],
        },
    )
    assert response.status_code == 303
    incident = db.session.scalars(select(Incident)).one()
    task = open_task("confirm_incident", SCHOOL_A)
    period_id = open_q3(app)
    submission = db.session.scalars(
        select(ReportSubmission).where(ReportSubmission.period_id == period_id, ReportSubmission.school_id == a.id)
    ).one()
    from models.tt124 import Tt124Evidence, Tt124File, Tt124Participation
    from tests.e2e.test_tt124 import REGISTRATION
    from tests.support.reporting_walk import token_actor
    from web.deps import cascade, store

    cycle_id = tt124_services.open_cycle(cascade(), store(), token_actor("pgddt.cttt"), org("cp-pgddt").id, 2022)
    cascade().deliver_messages(store())
    participation = db.session.scalars(
        select(Tt124Participation).where(Tt124Participation.cycle_id == cycle_id, Tt124Participation.school_id == a.id)
    ).one()
    for bpmn_id, username, values in (
        ("register", "thcs-suoikhoang.ht", REGISTRATION),
        ("add_evidence", "thcs-suoikhoang.gv", {"tieu_chi": "2", "minh_chung": "Họp Ban đại diện CMHS"}),
    ):
        task_id = open_task(bpmn_id, instance_id=participation.instance_id).id
        cascade().complete_task(store(), token_actor(username), task_id, values)
    evidence = db.session.scalars(select(Tt124Evidence).where(Tt124Evidence.participation_id == participation.id)).one()
    attached = client.client.post(
        f"/tt124/evidence/{evidence.id}/files",
        content_type="multipart/form-data",
        data={
            "csrf_token": client.csrf(f"/tt124/schools/{participation.id}"),
            "files": [(io.BytesIO(b"%PDF-1.4 bien ban hop"), "bien-ban-hop.pdf", "application/pdf")],
        },
    )
    assert attached.status_code == 303
    evidence_file = db.session.scalars(select(Tt124File).where(Tt124File.evidence_id == evidence.id)).one()
    principal = db.session.scalars(select(User).where(User.username == "thcs-suoikhoang.ht")).one()
    notification = db.session.scalars(select(Notification).where(Notification.user_id == principal.id)).first()
    return {
        "task_id": task.id,
        "instance_id": task.instance_id,
        "document_id": school_plan.id,
        "incident_id": incident.id,
        "attachment_id": incident.attachments[0].id,
        "submission_id": submission.id,
        "period_id": period_id,
        "notification_id": notification.id if notification else 0,
        "cycle_id": cycle_id,
        "participation_id": participation.id,
        "evidence_id": evidence.id,
        "file_id": evidence_file.id,
    }


def fill(rule, ids) -> str | None:
    path = rule.rule
    for name in rule.arguments:
        if name not in ids:
            return None
        path = re.sub(rf"<(?:\w+:)?{name}>", str(ids[name]), path)
    return path


@pytest.mark.parametrize("surface", ["pages", "api"])
def test_nothing_of_school_a_leaks_to_outsiders(app, browser, surface):
    with app.app_context():
        ids = build_world(app, browser)
        rules = [
            r
            for r in app.url_map.iter_rules()
            if "GET" in r.methods
            and r.arguments
            and r.endpoint != "static"
            and r.rule.startswith("/api") == (surface == "api")
        ]
        checked = 0
        for username in outsider_usernames():
            if surface == "api":
                client, headers = IsolatedClient(app), token_for(username)
            else:
                client, headers = Browser(app, username).client, {}
            for rule in rules:
                path = fill(rule, ids)
                if path is None:
                    continue
                response = client.get(path, headers=headers)
                body = response.get_data(as_text=True)
                assert response.status_code in (403, 404) or (
                    response.status_code == 302
                    and f"/reports/submissions/{ids['submission_id']}" not in response.headers["Location"]
                ), f"{username} got {response.status_code} on {path}"
                assert "Trần Thị Bình" not in body and "KH của trường" not in body
                checked += 1
        assert checked >= 3 * (2 if surface == "api" else 8)


def test_the_owners_do_see_them(app, browser):
    with app.app_context():
        ids = build_world(app, browser)
        principal = browser("thcs-suoikhoang.ht")
        for path in (
            f"/tasks/{ids['task_id']}",
            f"/instances/{ids['instance_id']}",
            f"/documents/{ids['document_id']}",
            f"/incidents/{ids['incident_id']}",
            f"/incidents/{ids['incident_id']}/attachments/{ids['attachment_id']}",
            f"/reports/submissions/{ids['submission_id']}",
            f"/tt124/schools/{ids['participation_id']}",
            f"/tt124/evidence/{ids['evidence_id']}/files/{ids['file_id']}",
        ):
            assert principal.get(path).status_code == 200, path
        cttt = browser("pgddt.cttt")
        assert cttt.get(f"/reports/periods/{ids['period_id']}").status_code == 200
        assert cttt.get(f"/tt124/cycles/{ids['cycle_id']}/rollups.json").status_code == 200
        assert "Trần Thị Bình" in cttt.get(f"/incidents/{ids['incident_id']}").get_data(as_text=True)
