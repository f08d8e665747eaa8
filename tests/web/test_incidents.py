"""The ad-hoc incident path: raised and saved at once; the principal confirms; CTTT and the ward police are
told at once; an unacknowledged serious incident climbs to the office's leaders, then the city, on the
diagram's timers; child abuse carries its 12-hour intervention; details only to those handling it; e-mail
through SMTP with retries."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from engine.core.clock import VN_TZ, clock
from models import db
from models.incident import EmailMessage, Incident, Notification
from models.org import User
from models.workflow import HumanTask, Timer
from tests.support.walk import complete, open_task, org
from web.deps import cascade, store

T0 = datetime(2022, 9, 12, 9, 0, tzinfo=VN_TZ)
SCHOOL = "cp-s-thcs-suoi-khoang"  # in Quang Hanh ward


def raise_incident(browser, username: str, **overrides):
    form = {
        "category": "school_violence",
        "severity": "serious",
        "location": "inside",
        "place": "Sân trường",
        "occurred_at": "2022-09-12T08:40",
        "description": "Hai nhóm học sinh lớp 8 xô xát, một em bị thương nhẹ.",
        "person_class_0": "8A",
        "person_role_0": "victim",
        "person_name_0": "Nguyễn Văn An",
        "actions": ["first_aid", "parents_informed"],
        **overrides,
    }
    client = browser(username)
    response = client.post_form("/incidents/new", form)
    assert response.status_code == 303, response.get_data(as_text=True)[:1500]
    return client, int(response.headers["Location"].rsplit("/", 1)[1])


def notified(username: str) -> list[str]:
    user = db.session.scalars(select(User).where(User.username == username)).one()
    return [n.title for n in db.session.scalars(select(Notification).where(Notification.user_id == user.id))]


def pending(bpmn_id: str) -> Timer | None:
    db.session.expire_all()
    return db.session.scalars(select(Timer).where(Timer.bpmn_id == bpmn_id, Timer.fired.is_(False))).first()


def fire_like_the_worker(bpmn_id: str, poll: float = 1.0) -> float:
    """The worker polls every `poll` seconds: step the clock as it would around the timer's due time;
    returns how late (engine time) it fired."""
    due = pending(bpmn_id).due_at
    clock.freeze(due - timedelta(seconds=poll / 2))
    cascade().fire_due_timers(store())
    assert pending(bpmn_id) is not None, "fired early"
    clock.advance(timedelta(seconds=poll))
    cascade().fire_due_timers(store())
    assert pending(bpmn_id) is None, "did not fire"
    return (clock.now() - due).total_seconds()


def test_unacknowledged_serious_incident_climbs_on_time(app, browser):
    clock.freeze(T0)
    with app.app_context():
        _, incident_id = raise_incident(browser, "thcs-suoikhoang.gv")
        incident = db.session.get(Incident, incident_id)
        assert incident.status == "open" and incident.instance_id  # saved, and its path has started
        confirm = open_task("confirm_incident", SCHOOL)
        assert confirm.due_at == T0 + timedelta(hours=1)
        clock.freeze(T0 + timedelta(minutes=5))
        complete(browser("thcs-suoikhoang.ht"), confirm, {"xac_nhan": "confirm", "muc_do": "serious"})
        confirmed_at = clock.now()

        # told at once: CTTT, the ward police of the school's ward; serious: UBND TP, Sở GDĐT, city police task
        assert any("Trường THCS Suối Khoáng" in t for t in notified("pgddt.cttt"))
        assert notified("ca.quanghanh") and not notified("ca.camson")
        assert notified("ubndtp.lanhdao") and notified("sgddt.chuyenvien")
        open_task("police_coordination", SCHOOL)
        assert not notified("pgddt.truongphong")[1:]  # leaders only hear of it when it is not acknowledged

        timers = {t.bpmn_id: t.due_at for t in db.session.scalars(select(Timer).where(Timer.fired.is_(False)))}
        assert timers["escalate_office"] == confirmed_at + timedelta(hours=2)
        assert timers["escalate_city"] == confirmed_at + timedelta(hours=4)
        late_office = fire_like_the_worker("escalate_office")
        assert any("2 giờ" in t for t in notified("pgddt.truongphong"))
        assert any("2 giờ" in t for t in notified("pgddt.pho"))
        assert not any("4 giờ" in t for t in notified("catp.lanhdao"))
        late_city = fire_like_the_worker("escalate_city")
        assert any("4 giờ" in t for t in notified("catp.lanhdao"))
        assert max(late_office, late_city) <= 1.0
        print(f"\ntimer lateness (engine clock, 1 s poll): office {late_office:.2f} s, city {late_city:.2f} s")

        # CTTT acknowledges: the escalation stops; the incident is handled by the involved police
        complete(
            browser("pgddt.cttt"),
            open_task("acknowledge_incident", SCHOOL),
            {"chi_dao_ban_dau": "Nhà trường xử lý theo quy định."},
        )
        db.session.expire_all()
        assert db.session.get(Incident, incident_id).status == "acknowledged"
        assert db.session.scalars(select(Timer).where(Timer.fired.is_(False))).all() == []
        assert browser("catp.canbo").get(f"/incidents/{incident_id}").status_code == 200


def test_child_abuse_carries_the_12_hour_intervention(app, browser):
    clock.freeze(T0)
    with app.app_context():
        _, incident_id = raise_incident(browser, "thcs-suoikhoang.ht", category="child_abuse", severity="minor")
        # raised by the principal: no confirmation step
        assert db.session.scalars(select(HumanTask).where(HumanTask.bpmn_id == "confirm_incident")).all() == []
        task = open_task("child_protection_intervention", SCHOOL)
        assert task.due_at == T0 + timedelta(hours=12)
        assert task.candidates[0].org_id == org("cp-ldtbxh").id
        assert any("12 giờ" in t for t in notified("ldtbxh.canbo"))
        assert pending("intervention_overdue").due_at == T0 + timedelta(hours=12)
        fire_like_the_worker("intervention_overdue")
        assert any("Quá 12 giờ" in t for t in notified("pgddt.truongphong"))


def test_details_only_to_those_handling_it(app, browser):
    clock.freeze(T0)
    with app.app_context():
        _, incident_id = raise_incident(browser, "thcs-suoikhoang.ht")
        page = browser("pgddt.cttt").get(f"/incidents/{incident_id}").get_data(as_text=True)
        assert "Nguyễn Văn An" in page
        assert "Nguyễn Văn An" in browser("ca.quanghanh").get(f"/incidents/{incident_id}").get_data(as_text=True)
        assert browser("ca.camson").get(f"/incidents/{incident_id}").status_code == 404  # another ward's police
        other_principal = next(
            u.username
            for u in db.session.scalars(select(User).where(User.org_id == org("cp-s-mn-cam-son").id))
            if "principal" in u.roles
        )
        assert browser(other_principal).get(f"/incidents/{incident_id}").status_code == 404
        clerk = browser("ubndtp.vanthu")
        assert clerk.get(f"/incidents/{incident_id}").status_code == 404  # above: counts, not cases
        board = clerk.get("/incidents").get_data(as_text=True)
        assert "Nguyễn Văn An" not in board and "Bạo lực học đường" in board
        office_board = browser("pgddt.cttt").get("/incidents").get_data(as_text=True)
        assert f"/incidents/{incident_id}" in office_board


def test_invalid_incident_is_refused_and_nothing_is_stored(app, browser):
    clock.freeze(T0)
    with app.app_context():
        client = browser("thcs-suoikhoang.gv")
        response = client.post_form(
            "/incidents/new",
            {
                "category": "nope",
                "severity": "",
                "location": "inside",
                "occurred_at": "2030-01-01T00:00",
                "description": "",
            },
        )
        assert response.status_code == 422
        assert response.get_data(as_text=True).count('role="alert"') >= 4
        assert db.session.scalars(select(Incident)).all() == []
        assert browser("pgddt.cttt").get("/incidents/new").status_code == 403  # only schools raise them


def test_email_reaches_the_smtp_server_and_waits_while_it_is_down(app, browser, smtp_sink):
    from email import message_from_string
    from email.header import decode_header, make_header

    controller, handler, port = smtp_sink
    clock.freeze(T0)
    with app.app_context():
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
        raise_incident(browser, "thcs-suoikhoang.ht")
        from web.mail import smtp_sender

        queued = db.session.scalars(select(EmailMessage)).all()
        assert queued and all(e.status == "pending" for e in queued)
        assert cascade().deliver_emails(store(), smtp_sender()) == 0  # server down: nothing lost
        db.session.expire_all()
        waiting = db.session.scalars(select(EmailMessage)).all()
        assert all(e.status == "pending" and e.attempts == 1 and e.last_error for e in waiting)
        controller.start()
        assert cascade().deliver_emails(store(), smtp_sender()) == 0  # back-off: not yet
        clock.advance(timedelta(minutes=2))
        sent = cascade().deliver_emails(store(), smtp_sender())
        assert sent == len(queued) == len(handler.messages)
        to_cttt = [m for rcpt, m in handler.messages if "pgddt.cttt@cascade.example" in rcpt]
        subject = str(make_header(decode_header(message_from_string(to_cttt[0])["Subject"])))
        assert subject == "Sự việc tại Trường THCS Suối Khoáng: Bạo lực học đường (Nghiêm trọng)"


def test_attachments_only_to_handlers_and_counts_feed_the_reports(app, browser):
    import io

    from models.reporting import disqualifying_incidents, incident_counts

    clock.freeze(T0)
    with app.app_context():
        client = browser("thcs-suoikhoang.gv")
        token = client.csrf("/incidents/new")
        response = client.client.post(
            "/incidents/new",
            content_type="multipart/form-data",
            data={
                "csrf_token": token,
                "category": "school_violence",
                "severity": "minor",
                "location": "inside",
                "occurred_at": "2022-09-12T08:00",
                "description": "Xô xát trong giờ ra chơi.",
                "attachments": [
                    (io.BytesIO("Biên bản sự việc: tường trình của học sinh.".encode()), "bien-ban.txt", "text/plain")
                ],
            },
        )
        assert response.status_code == 303
        incident = db.session.scalars(select(Incident)).one()
        attachment = incident.attachments[0]
        url = f"/incidents/{incident.id}/attachments/{attachment.id}"
        download = browser("pgddt.cttt").get(url)
        assert download.status_code == 200 and "Biên bản sự việc" in download.get_data(as_text=True)
        assert "attachment" in download.headers["Content-Disposition"]
        other = browser("thcs-suoikhoang.ht")
        assert other.get(url).status_code == 200
        stranger = next(
            u.username
            for u in db.session.scalars(select(User).where(User.org_id == org("cp-s-mn-cam-son").id))
            if "staff" in u.roles
        )
        assert browser(stranger).get(url).status_code == 404
        bad = client.client.post(
            "/incidents/new",
            content_type="multipart/form-data",
            data={
                "csrf_token": client.csrf("/incidents/new"),
                "category": "fight",
                "severity": "minor",
                "location": "inside",
                "occurred_at": "2022-09-12T08:00",
                "description": "x",
                "attachments": [(io.BytesIO(b"MZ\x90\x00"), "virus.exe", "application/x-msdownload")],
            },
        )
        assert bad.status_code == 422 and db.session.scalars(select(Incident)).all() == [incident]

        window = (T0 - timedelta(days=1), T0 + timedelta(days=1))
        assert incident_counts(org(SCHOOL).id, *window) == {("school_violence", "minor"): 1}
        assert [i.id for i in disqualifying_incidents(org(SCHOOL).id, *window)] == [incident.id]
