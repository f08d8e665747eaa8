"""In Debian's Chromium: a CTTT specialist logs in, opens the task from the inbox, gets field messages for a
bad date, corrects it and completes the task; the deputy then sees the approval in their inbox."""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import IN_CI

CHROMIUM = os.environ.get("CASCADE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(sqlite_app):
    server = make_server("127.0.0.1", 0, sqlite_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def page():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if IN_CI:
            pytest.fail(f"Chromium not found at {CHROMIUM}")
        pytest.skip("Chromium not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(locale="vi-VN")
        yield context.new_page()
        browser.close()


def login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", "cascade-demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_specialist_completes_a_draft_in_the_browser(live_server, page, sqlite_app):
    base = live_server
    login(page, base, "pgddt.cttt")
    page.goto(f"{base}/processes/start")
    page.click("form:has(input[value=directive_plan]) button")
    page.goto(f"{base}/")
    page.click("text=Soạn dự thảo kế hoạch")
    page.fill("#f-trich_yeu", "Triển khai thực hiện mô hình An ninh cơ sở")
    page.fill("#f-noi_dung", "I. MỤC ĐÍCH, YÊU CẦU")
    page.fill("#f-han_nop", "31/02/2022")
    page.click("button.primary")
    assert page.locator(".field.has-error").count() == 1
    assert "ngày" in page.locator("p.error").first.inner_text().lower()
    page.fill("#f-han_nop", "31/08/2022")
    page.click("button.primary")
    page.wait_for_url(f"{base}/")
    assert "Đã hoàn thành nhiệm vụ." in page.content()
    assert page.locator("a", has_text="Soạn dự thảo kế hoạch").count() == 0

    page.click("text=Đăng xuất")
    login(page, base, "pgddt.pho")
    page.click("text=Duyệt dự thảo")
    assert "Triển khai thực hiện mô hình An ninh cơ sở" in page.content()
    if os.environ.get("CASCADE_SCREENSHOT"):  # to look at the page: CASCADE_SCREENSHOT=path.png
        page.screenshot(path=os.environ["CASCADE_SCREENSHOT"], full_page=True)


def test_incident_raised_in_two_clicks_reaches_ctts_notification_centre(live_server, page, sqlite_app, smtp_sink):
    from email import message_from_string
    from email.header import decode_header, make_header

    from web.deps import cascade, store
    from web.mail import smtp_sender

    controller, handler, port = smtp_sink
    controller.start()
    sqlite_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    base = live_server
    login(page, base, "thcs-suoikhoang.ht")
    page.click("a.raise")  # click 1: from any page
    page.select_option("#category", "fight")
    page.select_option("#severity", "minor")
    page.fill("#description", "Hai học sinh lớp 9 xô xát ở cổng trường.")
    page.click("button.primary")  # click 2
    assert "Đã ghi nhận sự việc" in page.content()
    page.click("text=Đăng xuất")
    with sqlite_app.app_context():  # what `flask worker` does: the queued e-mail goes to the SMTP server
        assert cascade().deliver_emails(store(), smtp_sender()) >= 1
    to_cttt = [message_from_string(m) for rcpt, m in handler.messages if "pgddt.cttt@cascade.example" in rcpt]
    assert len(to_cttt) == 1
    subject = str(make_header(decode_header(to_cttt[0]["Subject"])))
    assert subject == "Sự việc tại Trường THCS Suối Khoáng: Học sinh đánh nhau, gây rối trật tự (Nhẹ)"

    login(page, base, "pgddt.cttt")
    assert page.locator("#unread-count").inner_text() == "1"
    page.click("a.bell")
    assert "Sự việc tại Trường THCS Suối Khoáng: Học sinh đánh nhau" in page.content()
    page.click("ul.notifications button[name=open]")
    assert "Hai học sinh lớp 9 xô xát ở cổng trường." in page.content()
    assert page.locator("#unread-count").count() == 0


def test_dashboard_shows_the_late_school_and_its_cell_opens_the_report(live_server, page, sqlite_app):
    from datetime import datetime

    from sqlalchemy import select

    from engine.core.clock import VN_TZ, clock
    from models import db
    from models.report import ReportSubmission
    from tests.web.test_reports_web import file_report, open_q3

    with sqlite_app.app_context():
        period_id = open_q3(sqlite_app)
        late = db.session.scalars(
            select(ReportSubmission).where(ReportSubmission.period_id == period_id).order_by(ReportSubmission.school_id)
        ).first()
        clock.freeze(datetime(2022, 9, 19, 9, 0, tzinfo=VN_TZ))
        file_report(sqlite_app, period_id, late.school_id)
        code, name = late.school.code, late.school.name
    login(page, live_server, "pgddt.cttt")
    page.click("text=Báo cáo")
    cell = page.locator(f'td[data-school="{code}"]')
    assert "late" in cell.get_attribute("class") and cell.inner_text() == "Muộn"
    cell.locator("a").click()
    assert f"{name}: Quý 3/2022" in page.locator("h1").inner_text()
    assert "Muộn" in page.content()
