"""In Chromium at 1366×768 and 360×800: the incident board, an incident, the incident form, the reporting
dashboard and a grouped notification read in Vietnamese, with every box labelled and nothing wider than the
screen (issue 13). CASCADE_SCREENSHOT_DIR=dir keeps a picture of each page at each size."""

from __future__ import annotations

import os
from datetime import datetime

import pytest
from sqlalchemy import select

from engine.core.clock import VN_TZ, clock
from models import db
from models.incident import Incident
from models.org import User
from tests.browser.test_browser import live_server, login, page  # noqa: F401  (fixtures)
from web.deps import store

pytestmark = pytest.mark.browser
SIZES = {"desktop": (1366, 768), "phone": (360, 800)}
WIDER = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
UNLABELLED = """() => [...document.querySelectorAll('main input, main select, main textarea')]
  .filter(e => !['hidden', 'submit', 'checkbox', 'radio'].includes(e.type))
  .filter(e => !(e.labels && e.labels.length && e.labels[0].offsetParent !== null))
  .map(e => e.name)"""


def look(page, base: str, path: str, name: str) -> str:  # noqa: F811
    """Each size: nothing wider than the screen, every box with a visible label; the page's text."""
    text = ""
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{base}{path}")
        assert page.evaluate(WIDER) <= 1, (path, size)
        assert page.evaluate(UNLABELLED) == [], (path, size)
        folder = os.environ.get("CASCADE_SCREENSHOT_DIR")
        if folder:
            page.screenshot(path=os.path.join(folder, f"{name}-{size}.png"), full_page=True)
        text = page.inner_text("main")
    return text


def test_incident_and_reporting_pages_at_both_sizes(live_server, page, sqlite_app):  # noqa: F811
    base = live_server
    clock.freeze(datetime(2022, 9, 12, 9, 0, tzinfo=VN_TZ))
    login(page, base, "thcs-suoikhoang.gv")
    form = look(page, base, "/incidents/new", "incident-form")
    assert "Địa điểm cụ thể" in form and "Họ tên" in form
    page.select_option("#category", "school_violence")
    page.select_option("#severity", "serious")
    page.fill("#description", "Hai nhóm học sinh lớp 8 xô xát ở sân sau.")
    page.fill("#person_class_0", "8A")
    page.click("button.primary")
    page.wait_for_url(f"{base}/incidents/*")
    page.click("text=Đăng xuất")
    with sqlite_app.app_context():
        incident_id = db.session.scalars(select(Incident.id).order_by(Incident.id.desc())).first()
        cttt = db.session.scalars(select(User).where(User.username == "pgddt.cttt")).one()
        s = store()
        for school in ("Trường THCS Cẩm Thạch", "Trường THCS Cẩm Bình", "Trường THCS Quang Hanh"):
            s.notify([cttt.id], f"TT 124 — {school} chưa đăng ký phấn đấu", school, "/tt124/schools/1", clock.now())
        s.commit()
    login(page, base, "pgddt.cttt")
    board = look(page, base, "/incidents?status=all", "incident-board")
    assert "Mới báo cáo" in board and "open" not in board.split()
    shown = look(page, base, f"/incidents/{incident_id}", "incident")
    assert "Mới báo cáo" in shown and "Đang chờ" in shown
    dashboard = look(page, base, "/reports", "reports-dashboard")
    assert "Năm" in dashboard and "Kỳ số" in dashboard
    told = look(page, base, "/notifications", "notifications")
    assert "3 trường: TT 124 — chưa đăng ký phấn đấu" in told and "Trường THCS Quang Hanh" in told
