"""Notifications (issue 13): a returned task tells the person who drafted it, with the comment's first line; a
burst from one action (a Circular 124 year's deadline for 19 schools) is one notification per person,
"19 trường: …", and one digest e-mail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from engine.core.clock import VN_TZ, clock
from engine.tt124 import services as tt124_services
from models import db
from models.incident import EmailMessage, Notification
from models.org import User
from tests.e2e.test_tt124 import at
from tests.support.reporting_walk import token_actor
from tests.support.walk import complete, open_task, org
from tests.web.test_daily import SK, _issue_to_schools
from web.deps import cascade, store


def notifications(username: str) -> list[Notification]:
    user = db.session.scalars(select(User).where(User.username == username)).one()
    stmt = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    return list(db.session.scalars(stmt))


def test_a_returned_draft_tells_its_drafter_with_the_comments_first_line(app, browser):
    with app.app_context():
        _cttt, pho, instance_id = _issue_to_schools(browser, [SK])  # the deputy returns it once
        draft = open_task("draft_plan", instance_id=instance_id)
        told = [n for n in notifications("pgddt.cttt") if n.title.startswith("Bị trả lại")]
        assert len(told) == 1, [n.title for n in notifications("pgddt.cttt")]
        assert told[0].title == "Bị trả lại: Soạn dự thảo kế hoạch"
        assert "Bổ sung phần kinh phí." in told[0].body and "Xem lại mục II." not in told[0].body
        assert told[0].url == f"/tasks/{draft.id}"
        assert not [n for n in notifications("pgddt.pho") if n.title.startswith("Bị trả lại")]
        page = browser("pgddt.cttt").get("/notifications").get_data(as_text=True)
        assert "Bị trả lại: Soạn dự thảo kế hoạch" in page


def test_approving_tells_nobody_it_came_back(app, browser):
    with app.app_context():
        _cttt, pho, instance_id = _issue_to_schools(browser, [SK], returned_once=False)
        complete(pho, open_task("approve_plan", instance_id=instance_id), {"quyet_dinh": "approve"})
        assert not [n for n in notifications("pgddt.cttt") if n.title.startswith("Bị trả lại")]


def test_a_years_deadline_for_19_schools_is_one_notification_and_one_digest(app, browser):
    with app.app_context():
        cttt = db.session.scalars(select(User).where(User.username == "pgddt.cttt")).one()
        cttt.email = "cttt@pgddt.example"
        db.session.commit()
        at(2023, 1, 5, 8, 0)
        tt124_services.open_cycle(cascade(), store(), token_actor("pgddt.cttt"), org("cp-pgddt").id, 2023)
        cascade().deliver_messages(store())
        before = {n.id for n in notifications("pgddt.cttt")}
        at(2023, 3, 31, 17, 1)  # the registration deadline passes for all 19 eligible schools at once
        cascade().fire_due_timers(store())
        burst = [n for n in notifications("pgddt.cttt") if n.id not in before]
        assert len(burst) == 1, [n.title for n in burst]
        assert burst[0].title.startswith("19 trường: ") and "chưa đăng ký phấn đấu năm 2023" in burst[0].title
        assert len(burst[0].body.splitlines()) == 19 and burst[0].url == "/tt124"
        mails = db.session.scalars(select(EmailMessage).where(EmailMessage.to_addr == cttt.email)).all()
        digest = [m for m in mails if m.subject == burst[0].title]
        assert len(digest) == 1 and digest[0].body.count("\n- ") == 19
        assert len([m for m in mails if "chưa đăng ký" in m.subject]) == 1


def test_grouping_keeps_incidents_apart_and_waits_no_longer_than_the_burst(app):
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == "pgddt.cttt")).one()
        t0 = datetime(2023, 5, 2, 8, 0, tzinfo=VN_TZ)
        clock.freeze(t0)
        s = store()
        for name in ("Trường THCS A", "Trường THCS B"):
            s.notify([user.id], f"Sự việc tại {name}", f"{name} — Cháy, nổ", "/incidents/1", t0)
        s.notify([user.id], "Báo cáo quý 1", "Trường THCS A — quý 1", "/reports/periods/1", t0)
        s.notify([user.id], "Báo cáo quý 1", "Trường THCS B — quý 1", "/reports/periods/1", t0)
        s.notify([user.id], "Báo cáo quý 1", "Trường THCS C — quý 1", "/reports/periods/1", t0.replace(hour=9))
        titles = [n.title for n in notifications("pgddt.cttt")]
        assert titles == ["Sự việc tại Trường THCS A", "Sự việc tại Trường THCS B", "2 trường: Báo cáo quý 1"] + [
            "Báo cáo quý 1"
        ]
