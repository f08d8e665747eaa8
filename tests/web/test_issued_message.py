"""After the clerk's numbering step (`register_plan`) the page tells the number and date the plan received,
read after the completion committed; other steps still say the task is done. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from engine.core.clock import VN_TZ, clock
from tests.support.walk import complete, open_task, org, recipients_form
from tests.web.test_web import draft_form, start_office_plan


def test_the_clerk_is_told_the_number_and_date_given(app, browser):
    with app.app_context():
        clock.freeze(datetime(2022, 8, 3, 8, 0, tzinfo=VN_TZ))
        cttt, instance_id = start_office_plan(browser)
        school = org("cp-s-thcs-suoi-khoang")
        done = complete(cttt, open_task("draft_plan", instance_id=instance_id), draft_form([school.id]))
        assert done.headers["Location"].endswith("/")
        assert "Đã hoàn thành nhiệm vụ." in cttt.get("/").get_data(as_text=True)
        deputy = browser("pgddt.pho")
        complete(deputy, open_task("approve_plan", instance_id=instance_id), {"quyet_dinh": "approve"})
        assert "Đã hoàn thành nhiệm vụ." in deputy.get("/").get_data(as_text=True)

        clock.freeze(datetime(2022, 8, 5, 9, 0, tzinfo=VN_TZ))
        clerk = browser("pgddt.vanthu")
        form = dict(recipients_form("noi_nhan", [(school.id, "thuc_hien")]), ngay_ban_hanh="03/08/2022")
        complete(clerk, open_task("register_plan", instance_id=instance_id), form)
        page = clerk.get("/").get_data(as_text=True)
        assert "Đã ban hành 811/KH-PGDĐT ngày 03/08/2022" in page
        assert "Đã hoàn thành nhiệm vụ." not in page
